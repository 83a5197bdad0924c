/**
 * Blob endpoints: GET/HEAD `/v2/<name>/blobs/<digest>` with single byte ranges (206 +
 * Content-Range, 416 outside the blob), and DELETE, which is UNSUPPORTED (405): blobs are shared
 * by every repository of the store and are removed by GC once nothing references them.
 */
import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { serverError, ServerErrorCode } from '../errors.js';
import { parseRange, sliceStream } from '../http-util.js';
import { openRepository, type V2Context } from './context.js';
import { checkDigest } from './names.js';

export async function blobGet(ctx: V2Context, req: Request, res: Response, name: string, rawDigest: string): Promise<void> {
  const repo = await openRepository(ctx, req, name, 'read');
  const digest = checkDigest(rawDigest);
  const size = await ctx.store.blobHead(repo.name, digest);
  if (size === undefined) throw serverError(ServerErrorCode.blobUnknown, 'blob unknown to registry', { digest });
  const range = parseRange(req.headers.range, size);
  res.setHeader('Docker-Content-Digest', digest);
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Content-Type', 'application/octet-stream');
  res.setHeader('ETag', `"${digest}"`);
  res.setHeader('Cache-Control', 'max-age=31536000');
  const start = range?.start ?? 0;
  const length = range ? range.end - range.start + 1 : size;
  res.setHeader('Content-Length', String(length));
  if (range) {
    res.status(206);
    res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
  } else {
    res.status(200);
  }
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const blob = await ctx.store.blobGet(repo.name, digest, { offset: start });
  const skip = Math.max(0, start - blob.offset);
  try {
    // The whole blob from 0 goes straight through; a range (or a backend that ignored the offset) is sliced.
    if (skip === 0 && !range) await pipeline(blob.stream, res);
    else await pipeline(blob.stream, sliceStream(skip, length), res);
  } catch (err) {
    // A client that goes away mid-blob is normal; the source is closed by pipeline.
    ctx.log.debug({ digest, err: (err as Error).message }, 'blob response ended early');
    if (!res.writableEnded) res.destroy();
  }
}

export async function blobDelete(ctx: V2Context, req: Request, name: string, rawDigest: string): Promise<never> {
  await openRepository(ctx, req, name, 'write');
  checkDigest(rawDigest);
  throw serverError(ServerErrorCode.unsupported, 'blobs are deleted by garbage collection when no manifest references them');
}
