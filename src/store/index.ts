/** The store's public face: the Store contract, its backends and the store's error codes. */
export * from './store.js';
export { createFsStore, type FsStoreOptions } from './fs/fs-store.js';
export { StoreErrorCode } from './errors.js';
export { MAX_MANIFEST_BYTES } from './manifest.js';
export { createRegistryStore, type RegistryStoreOptions } from './registry/registry-store.js';
