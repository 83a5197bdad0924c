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
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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

class HashingLimiter extends Transform {
  readonly md5 = createHash('md5');
  readonly sha1 = createHash('sha1');
  readonly sha256 = createHash('sha256');
  size = 0;
  constructor(private readonly maxBytes: number) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      callback(feedError(FeedErrorCode.tooLarge, 'upload larger than the limit', { limit: this.maxBytes }));
      return;
    }
    this.md5.update(chunk);
    this.sha1.update(chunk);
    this.sha256.update(chunk);
    callback(null, chunk);
  }
}

/** Spools `req`'s body to a temp file (see the module comment for the guarantees). */
export async function spoolUpload(req: IncomingMessage, { tmpDir, maxBytes }: SpoolOptions): Promise<SpooledFile> {
  const announced = checkContentLength(req, maxBytes);
  await mkdir(tmpDir, { recursive: true });
  const dir = await mkdtemp(join(tmpDir, 'upload-'));
  const dispose = async (): Promise<void> => rm(dir, { recursive: true, force: true });
  const path = join(dir, 'body');
  const limiter = new HashingLimiter(maxBytes);
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
  const sha256 = limiter.sha256.digest('hex');
  return {
    path,
    digest: `sha256:${sha256}`,
    size: limiter.size,
    md5: limiter.md5.digest('hex'),
    sha1: limiter.sha1.digest('hex'),
    sha256,
    dispose,
  };
}
