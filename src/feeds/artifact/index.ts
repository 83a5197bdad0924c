/**
 * The shared package-artifact layer of the feed views (generic, debian, rpm, chocolatey): how a
 * package version is stored as an OCI artifact, the change-log-driven index, upload spooling and
 * HTTP helpers. See package-store.ts for the artifact layout and names.ts for the naming rules.
 */
export { FeedErrorCode, feedError, feedErrorStatus } from './errors.js';
export { toTag, fromTag, toRepositoryComponent, packageRepository } from './names.js';
export { spoolUpload, checkContentLength, type SpooledFile, type SpoolOptions } from './upload.js';
export {
  putPackage,
  getPackage,
  readPackage,
  deletePackage,
  listPackages,
  Annotation,
  OCI_MANIFEST,
  MAX_CONFIG_BYTES,
  type PackageFile,
  type PutPackageInput,
  type PackageRecord,
} from './package-store.js';
export { PackageIndex, type IndexEvent, type IndexListener } from './package-index.js';
export { IndexCache } from './index-cache.js';
export { feedErrorHandler, parseRange, sendBlob, type SendBlobOptions } from './http.js';
