/**
 * Receiving a pushed `.nupkg`. `nuget push` (2.x and later) and `choco push` send
 * `multipart/form-data` with one file part; `curl -T` sends the raw file. Both end as one local
 * file of known sha256 and size.
 *
 * Contract: the request body is first spooled whole with the shared size-capped spooler (so a
 * Content-Length lie or an endless body is cut at the cap), then the file part is extracted with
 * busboy into a second temp file while its sha256 is computed. Exactly one file part is
 * accepted. Temp files are removed by `dispose()` whatever happens.
 */
import busboy from 'busboy';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { feedError, FeedErrorCode, spoolUpload } from '../artifact/index.js';

export interface ReceivedFile {
  path: string;
  /** `sha256:<hex>` */
  digest: string;
  sha256: string;
  size: number;
  dispose(): Promise<void>;
}

/** Room for multipart boundaries and part headers on top of the file cap. */
const MULTIPART_OVERHEAD = 64 * 1024;

class Hasher extends Transform {
  readonly hash = createHash('sha256');
  size = 0;
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    this.size += chunk.length;
    this.hash.update(chunk);
    cb(null, chunk);
  }
}

function extractFilePart(bodyPath: string, headers: IncomingMessage['headers'], outPath: string): Promise<{ sha256: string; size: number }> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers, limits: { files: 1, fields: 16, parts: 17, fieldSize: 4096 } });
    } catch {
      reject(feedError(FeedErrorCode.invalidRequest, 'malformed multipart request', {}));
      return;
    }
    let written: Promise<{ sha256: string; size: number }> | undefined;
    bb.on('file', (_field, stream) => {
      if (written) {
        stream.resume();
        return;
      }
      const hasher = new Hasher();
      written = pipeline(stream, hasher, createWriteStream(outPath, { flags: 'wx' })).then(() => ({ sha256: hasher.hash.digest('hex'), size: hasher.size }));
      written.catch(() => undefined);
    });
    bb.on('error', () => reject(feedError(FeedErrorCode.invalidRequest, 'malformed multipart request', {})));
    bb.on('close', () => {
      if (!written) reject(feedError(FeedErrorCode.invalidRequest, 'multipart request has no file part', {}));
      else written.then(resolve, reject);
    });
    createReadStream(bodyPath).on('error', reject).pipe(bb);
  });
}

/** Receives the pushed package of `req` (multipart or raw), capped at `maxBytes`. */
export async function receivePackage(req: IncomingMessage, { tmpDir, maxBytes }: { tmpDir: string; maxBytes: number }): Promise<ReceivedFile> {
  const multipart = /^multipart\/form-data/i.test(req.headers['content-type'] ?? '');
  const body = await spoolUpload(req, { tmpDir, maxBytes: multipart ? maxBytes + MULTIPART_OVERHEAD : maxBytes });
  if (!multipart) return { path: body.path, digest: body.digest, sha256: body.sha256, size: body.size, dispose: body.dispose };
  const partPath = `${body.path}.part`;
  const dispose = async (): Promise<void> => {
    await rm(partPath, { force: true });
    await body.dispose();
  };
  try {
    const { sha256, size } = await extractFilePart(body.path, req.headers, partPath);
    if (size > maxBytes) throw feedError(FeedErrorCode.tooLarge, 'upload larger than the limit', { limit: maxBytes });
    await rm(body.path, { force: true });
    return { path: partPath, digest: `sha256:${sha256}`, sha256, size, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}
