/**
 * Error codes raised by the store. The `OCI_*` codes are the same strings the OCI client
 * (src/oci) uses for the same conditions, so the server maps one table of codes to the
 * distribution spec's error envelope whatever raised them.
 */
import { FerryError, NextAction } from '../errors/index.js';

export const StoreErrorCode = {
  /** The repository's feed does not exist or is retired. */
  feedUnknown: 'STORE_FEED_UNKNOWN',
  /** `feedEnsure` with a type different from the existing feed's. */
  feedTypeMismatch: 'STORE_FEED_TYPE_MISMATCH',
  /** `feedPrune` of a feed that is not retired. */
  feedNotRetired: 'STORE_FEED_NOT_RETIRED',
  /** Invalid feed name (must be a DNS label). */
  feedInvalid: 'STORE_FEED_INVALID',
  /** A blob file on disk does not match its digest (disk corruption or tampering). */
  corrupt: 'STORE_CORRUPT',
  /** The backend cannot do this (e.g. a registry without delete enabled). */
  unsupported: 'STORE_UNSUPPORTED',
  /** The disk is full (ENOSPC/EDQUOT): nothing was stored; retry after space is freed (GC). */
  noSpace: 'STORE_NO_SPACE',
  /** Invalid `origin` in a write context. */
  originInvalid: 'STORE_ORIGIN_INVALID',
  nameInvalid: 'OCI_NAME_INVALID',
  nameUnknown: 'OCI_NAME_UNKNOWN',
  tagInvalid: 'OCI_TAG_INVALID',
  digestInvalid: 'OCI_DIGEST_INVALID',
  blobUnknown: 'OCI_BLOB_UNKNOWN',
  blobDigestMismatch: 'OCI_BLOB_DIGEST_MISMATCH',
  blobSizeMismatch: 'OCI_BLOB_SIZE_MISMATCH',
  rangeInvalid: 'OCI_RANGE_INVALID',
  manifestUnknown: 'OCI_MANIFEST_UNKNOWN',
  manifestInvalid: 'OCI_MANIFEST_INVALID',
  manifestBlobUnknown: 'OCI_MANIFEST_BLOB_UNKNOWN',
  manifestTooLarge: 'OCI_MANIFEST_TOO_LARGE',
  unsupportedMediaType: 'OCI_UNSUPPORTED_MEDIA_TYPE',
} as const;
export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

/** A store error a user or client must fix (bad name, unknown feed, invalid manifest…). */
export function storeError(code: StoreErrorCode, message: string, data: Record<string, unknown> = {}, cause?: unknown): FerryError {
  return new FerryError(code, message, { data, next: NextAction.fix, cause });
}

/** Turns a full-disk errno into STORE_NO_SPACE (retry later); returns any other error unchanged. */
export function mapDiskFull(err: unknown, data: Record<string, unknown>): unknown {
  const errno = (err as NodeJS.ErrnoException | undefined)?.code;
  if (errno !== 'ENOSPC' && errno !== 'EDQUOT' && errno !== 'SQLITE_FULL') return err;
  return new FerryError(StoreErrorCode.noSpace, 'no space left on the store\'s disk; nothing was stored', { data, next: NextAction.retry, cause: err });
}
