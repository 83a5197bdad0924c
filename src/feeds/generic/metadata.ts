/** Media types and config metadata of a generic file artifact (see ../artifact/package-store.ts). */
export const FileMediaType = {
  artifact: 'application/vnd.ferry.file.v1',
  config: 'application/vnd.ferry.file.v1+json',
  layer: 'application/octet-stream',
} as const;

export interface FileMetadata {
  /** Exact (normalised) path within the feed. */
  path: string;
  /** Content-Type given at upload (validated), else application/octet-stream. */
  contentType: string;
  size: number;
  sha256: string;
  /** ISO 8601 upload time at the site that took the upload. */
  uploadedAt: string;
}

const CONTENT_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}(?:; ?charset=[a-z0-9_-]{1,32})?$/i;

/** The upload's Content-Type if it is a plain, safe media type, else octet-stream. */
export function safeContentType(header: string | undefined): string {
  return header && CONTENT_TYPE.test(header) ? header : 'application/octet-stream';
}
