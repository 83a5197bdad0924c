/**
 * HTTP helpers shared by the feed views: the error edge (feed codes to statuses) and blob
 * serving with ETag / If-None-Match / single-range Range (RFC 9110 sections 13 and 14).
 */
import type { NextFunction, Request, Response, ErrorRequestHandler } from 'express';
import { pipeline } from 'node:stream/promises';
import { Transform, type TransformCallback } from 'node:stream';
import type { Descriptor } from '../../oci/content.js';
import type { Store } from '../../store/store.js';
import type { Logger } from '../../log/index.js';
import { isFerryError } from '../../errors/index.js';
import { feedError, feedErrorStatus, FeedErrorCode } from './errors.js';

/**
 * Error middleware for a feed router: feed and store codes become their status with a JSON body
 * `{"errors":[{"code","message"}]}`; anything else (auth errors included) goes to the server's
 * error middleware. After a 413 the connection is closed so an oversized body is never read.
 */
export function feedErrorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req: Request, res: Response, next: NextFunction) => {
    const status = isFerryError(err) ? feedErrorStatus(err.code) : undefined;
    if (!isFerryError(err) || status === undefined || res.headersSent) {
      next(err);
      return;
    }
    log.info({ code: err.code, method: req.method, feed: req.params.feed, data: err.data }, 'feed request refused');
    if (status === 413 || (req.readable && !req.readableEnded)) res.setHeader('Connection', 'close');
    res.status(status).json({ errors: [{ code: err.code, message: err.message }] });
  };
}

/** A single byte range, inclusive `end`; undefined when the header is absent or not `bytes=`. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined;
  const [, from = '', to = ''] = match;
  let start: number;
  let end: number;
  if (from === '') {
    if (to === '') return undefined;
    start = Math.max(0, size - Number(to));
    end = size - 1;
  } else {
    start = Number(from);
    end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  }
  if (start >= size || start > end) throw feedError(FeedErrorCode.rangeNotSatisfiable, 'range not satisfiable', { size });
  return { start, end };
}

class Limit extends Transform {
  private left: number;
  constructor(bytes: number) {
    super();
    this.left = bytes;
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, callback: TransformCallback): void {
    if (this.left <= 0) return callback();
    const part = chunk.length > this.left ? chunk.subarray(0, this.left) : chunk;
    this.left -= part.length;
    callback(null, part);
  }
}

export interface SendBlobOptions {
  contentType: string;
  /** Adds `Content-Disposition: attachment; filename=…` when set. */
  fileName?: string;
  /** `Cache-Control`; content-addressed files default to immutable. */
  cacheControl?: string;
}

/**
 * Streams a stored blob as the response: ETag is the quoted sha256 hex, `If-None-Match` gives
 * 304, one `Range` gives 206 (416 when unsatisfiable; multi-range requests get the whole file),
 * HEAD sends headers only.
 */
export async function sendBlob(req: Request, res: Response, store: Store, repository: string, blob: Descriptor, options: SendBlobOptions): Promise<void> {
  const etag = `"${blob.digest.slice('sha256:'.length)}"`;
  res.setHeader('ETag', etag);
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Cache-Control', options.cacheControl ?? 'public, max-age=31536000, immutable');
  if (options.fileName) res.setHeader('Content-Disposition', `attachment; filename="${options.fileName.replace(/["\\\r\n]/g, '_')}"`);
  const inm = req.headers['if-none-match'];
  if (inm && (inm === '*' || inm.split(',').some((v) => v.trim().replace(/^W\//, '') === etag))) {
    res.status(304).end();
    return;
  }
  const ifRange = req.headers['if-range'];
  const range = ifRange && ifRange !== etag ? undefined : parseRange(req.headers.range, blob.size);
  res.setHeader('Content-Type', options.contentType);
  const start = range?.start ?? 0;
  const length = range ? range.end - range.start + 1 : blob.size;
  if (range) {
    res.status(206);
    res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${blob.size}`);
  }
  res.setHeader('Content-Length', String(length));
  if (req.method === 'HEAD' || length === 0) {
    res.end();
    return;
  }
  const opened = await store.blobGet(repository, blob.digest, { offset: start });
  await pipeline(opened.stream, new Limit(length), res);
}
