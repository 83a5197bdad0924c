/**
 * Error codes of the native feed views (all package types and files). Each maps to one HTTP
 * status at the edge (`feedErrorStatus`); tests assert on the code, never on the message.
 */
import { FerryError, NextAction } from '../../errors/index.js';

export const FeedErrorCode = {
  /** A file path (generic feed) breaks the path rules: `..`, absolute, NUL, too long… */
  invalidPath: 'FEED_INVALID_PATH',
  /** The uploaded file is not a well-formed package of the feed's format. */
  invalidPackage: 'FEED_INVALID_PACKAGE',
  /** A package name breaks the format's naming rules. */
  invalidName: 'FEED_INVALID_NAME',
  /** A package version breaks the format's version rules. */
  invalidVersion: 'FEED_INVALID_VERSION',
  /** A request parameter (dist, arch, range…) is invalid. */
  invalidRequest: 'FEED_INVALID_REQUEST',
  /** The body is larger than the view's cap (or announces so in Content-Length). */
  tooLarge: 'FEED_TOO_LARGE',
  /** The body ended before its announced Content-Length. */
  truncated: 'FEED_BODY_TRUNCATED',
  /** No such package, version, file or index. */
  notFound: 'FEED_NOT_FOUND',
  /** The version already exists with different content. */
  conflict: 'FEED_CONFLICT',
  /** The requested range cannot be satisfied. */
  rangeNotSatisfiable: 'FEED_RANGE_NOT_SATISFIABLE',
} as const;
export type FeedErrorCode = (typeof FeedErrorCode)[keyof typeof FeedErrorCode];

/** HTTP status for every feed code, and for the store codes a feed view can surface. */
const STATUS: Record<string, number> = {
  [FeedErrorCode.invalidPath]: 400,
  [FeedErrorCode.invalidPackage]: 400,
  [FeedErrorCode.invalidName]: 400,
  [FeedErrorCode.invalidVersion]: 400,
  [FeedErrorCode.invalidRequest]: 400,
  [FeedErrorCode.tooLarge]: 413,
  [FeedErrorCode.truncated]: 400,
  [FeedErrorCode.notFound]: 404,
  [FeedErrorCode.conflict]: 409,
  [FeedErrorCode.rangeNotSatisfiable]: 416,
  STORE_FEED_UNKNOWN: 404,
  OCI_MANIFEST_UNKNOWN: 404,
  OCI_BLOB_UNKNOWN: 404,
  OCI_NAME_UNKNOWN: 404,
  OCI_NAME_INVALID: 400,
  OCI_TAG_INVALID: 400,
};

/** The HTTP status for a FerryError code, or undefined when the code is not a feed-view one. */
export function feedErrorStatus(code: string): number | undefined {
  return STATUS[code];
}

export function feedError(code: FeedErrorCode, message: string, data: Record<string, unknown> = {}, cause?: unknown): FerryError {
  return new FerryError(code, message, { data, next: NextAction.fix, cause });
}
