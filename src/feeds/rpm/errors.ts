/** Error codes of the rpm feed view (mapped to HTTP by the router: all are 4xx client errors). */
export const RpmErrorCode = {
  /** The upload is not a well-formed RPM (bad magic, truncated, inconsistent header). */
  malformed: 'RPM_MALFORMED',
  /** Name, version, release or arch break RPM's rules (or would be unsafe as a file name). */
  invalidField: 'RPM_INVALID_FIELD',
  /** The package's signature header does not match its header or payload (digest/size). */
  digestMismatch: 'RPM_DIGEST_MISMATCH',
  /** A repodata file or package file that the feed does not have. */
  notFound: 'RPM_NOT_FOUND',
} as const;
export type RpmErrorCode = (typeof RpmErrorCode)[keyof typeof RpmErrorCode];
