/** Small HTTP helpers shared by the routers: bounded body reads, byte-range slicing, int params. */
import type { Request } from 'express';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { serverError, ServerErrorCode } from './errors.js';

/**
 * Reads a small request body (manifests) into memory, refusing more than `maxBytes` — by
 * Content-Length up front and by counting while reading (chunked bodies).
 */
export async function readBody(req: Request, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw serverError(ServerErrorCode.tooLarge, `body larger than ${maxBytes} bytes`, { limit: maxBytes });
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      req.resume();
      throw serverError(ServerErrorCode.tooLarge, `body larger than ${maxBytes} bytes`, { limit: maxBytes });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

/** Passes `length` bytes after skipping `skip`, then ends (the source is destroyed by pipeline). */
export function sliceStream(skip: number, length: number): Transform {
  let toSkip = skip;
  let left = length;
  return new Transform({
    transform(chunk: Buffer, _enc, callback: TransformCallback) {
      let data = chunk;
      if (toSkip > 0) {
        const n = Math.min(toSkip, data.length);
        toSkip -= n;
        data = data.subarray(n);
      }
      if (left <= 0 || data.length === 0) return callback();
      const out = data.length > left ? data.subarray(0, left) : data;
      left -= out.length;
      this.push(out);
      if (left === 0) this.push(null);
      callback();
    },
  });
}

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

/**
 * Parses a single `Range: bytes=a-b` (also `a-` and `-suffix`) against `size`. Returns undefined
 * for no/unsupported Range header (serve the whole blob, as RFC 9110 allows), throws
 * SERVER_RANGE_NOT_SATISFIABLE (416) when it lies outside the blob.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (!Number.isSafeInteger(start) || start >= size || end < start) {
    throw serverError(ServerErrorCode.rangeNotSatisfiable, 'range not satisfiable', { size });
  }
  return { start, end };
}

/** A non-negative integer query parameter, or undefined; throws `code` when malformed. */
export function intParam(value: unknown, code: string, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !/^\d{1,9}$/.test(value)) throw serverError(code, `invalid ${name}`, { [name]: String(value).slice(0, 20) });
  return Number(value);
}

/** A string query parameter (first one if repeated), or undefined. */
export function stringParam(value: unknown): string | undefined {
  if (Array.isArray(value)) return stringParam(value[0]);
  return typeof value === 'string' ? value : undefined;
}

/** Decodes a percent-encoded path segment; malformed encodings are left as they are (then fail validation). */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export type { Readable };
