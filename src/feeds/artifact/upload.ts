/**
 * Spooling an upload to a temp file: the one way a feed view reads a request body.
 *
 * Guarantees:
 * - A `Content-Length` above `maxBytes` is refused before a byte is read (FEED_TOO_LARGE).
 * - Reading stops as soon as more than `maxBytes` arrived (chunked bodies too) and the partial
 *   file is deleted (FEED_TOO_LARGE); a body shorter than its `Content-Length` is
 *   FEED_BODY_TRUNCATED. Either way nothing is left on disk.
 * - sha256, sha1 and md5 are computed while streaming, so parsers and the store read a file of
 *   known digest and size and no blob is ever held in memory.
 * The caller owns the result and must call `dispose()` (idempotent) when done.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { HashingLimiter } from '../../util/hashing-limiter.js';
import { feedError, FeedErrorCode } from './errors.js';

export interface SpooledFile {
  path: string;
  /** `sha256:<hex>` */
  digest: string;
  size: number;
  md5: string;
  sha1: string;
  sha256: string;
  dispose(): Promise<void>;
}

export interface SpoolOptions {
  /** Directory under which a private temp directory is made (created if missing). */
  tmpDir: string;
  maxBytes: number;
}

/** Throws FEED_TOO_LARGE when the announced length is above the cap (call before reading). */
export function checkContentLength(req: IncomingMessage, maxBytes: number): number | undefined {
  const header = req.headers['content-length'];
  if (header === undefined) return undefined;
  const length = Number(header);
  if (!/^\d{1,20}$/.test(header) || !Number.isSafeInteger(length)) {
    throw feedError(FeedErrorCode.invalidRequest, 'invalid Content-Length', {});
  }
  if (length > maxBytes) throw feedError(FeedErrorCode.tooLarge, 'upload larger than the limit', { limit: maxBytes, announced: length });
  return length;
}

/** Spools `req`'s body to a temp file (see the module comment for the guarantees). */
export async function spoolUpload(req: IncomingMessage, { tmpDir, maxBytes }: SpoolOptions): Promise<SpooledFile> {
  const announced = checkContentLength(req, maxBytes);
  await mkdir(tmpDir, { recursive: true });
  const dir = await mkdtemp(join(tmpDir, 'upload-'));
  const dispose = async (): Promise<void> => rm(dir, { recursive: true, force: true });
  const path = join(dir, 'body');
  const limiter = new HashingLimiter(['md5', 'sha1', 'sha256'], maxBytes, () => feedError(FeedErrorCode.tooLarge, 'upload larger than the limit', { limit: maxBytes }));
  try {
    await pipeline(req, limiter, createWriteStream(path, { flags: 'wx' }));
  } catch (err) {
    await dispose();
    if (err instanceof Error && 'code' in err && String(err.code).startsWith('FEED_')) throw err;
    throw feedError(FeedErrorCode.truncated, 'upload body ended early', {}, err);
  }
  if (announced !== undefined && limiter.size !== announced) {
    await dispose();
    throw feedError(FeedErrorCode.truncated, 'upload body shorter than its Content-Length', { announced, received: limiter.size });
  }
  const { md5, sha1, sha256 } = limiter.hex();
  return { path, digest: `sha256:${sha256}`, size: limiter.size, md5, sha1, sha256, dispose };
}
