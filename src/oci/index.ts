/** The OCI engine's public face: content interfaces, media types, references, the registry client, layouts, copy. */
export * from './content.js';
export { MediaType, MANIFEST_ACCEPT, MANIFEST_SIZE_LIMIT, EMPTY_JSON_DIGEST, isIndexMediaType, isManifestMediaType } from './media-types.js';
export { OciErrorCode, parseErrorEnvelope } from './errors.js';
export {
  parseReference,
  formatReference,
  isValidRepository,
  isValidTag,
  isDigest,
  isLoopbackRegistry,
  type Reference,
  type RegistryReference,
  type LayoutReference,
} from './reference.js';
export { parseManifest, parsePlatform, platformMatches, referrersTag, sha256Digest, type ParsedManifest } from './manifest.js';
export { createRegistryClient, type RegistryClient, type RegistryClientOptions } from './registry-client.js';
export type { Credentials } from './http/auth.js';
export { parseChallenge, credentialHint } from './http/auth.js';
export type { RetryOptions } from './http/retry.js';
export { createLayoutTarget, digestFile, REF_NAME, type LayoutTarget } from './layout.js';
export { copy, CopyErrorCode, type CopyOptions, type CopyProgress, type CopyRef, type CopyResult } from './copy.js';
