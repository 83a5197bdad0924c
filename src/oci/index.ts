/** The OCI engine's public face: content interfaces, media types, the registry client, copy. */
export * from './content.js';
