/**
 * The HTTP layers of the registry client share one shape (STYLE.md habit 7):
 * transport → retry → auth, each a `Send` wrapping the next.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';

/**
 * A request body. A Buffer is replayable; a `replay` factory can be called again for a retry
 * (a blob re-opened from its source); a bare stream is consumed once and is never retried.
 */
export type RequestBody = Buffer | { stream: Readable; length?: number } | { replay: () => Promise<{ stream: Readable; length?: number }> };

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: URL;
  headers?: Record<string, string>;
  body?: RequestBody;
  /** Token scopes this request needs (`repository:foo/bar:pull`), for the auth layer. */
  scopes?: string[];
  signal?: AbortSignal;
  /**
   * A large body is expected (a blob download): the transport reads it with the lean bulk
   * reader (bulk-get.ts), whose body also offers `pull(sink)`. Only for GET without a body.
   */
  bulk?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body; callers must consume or `destroy()` it (a kept-alive socket is freed then). */
  body: Readable;
  url: URL;
}

export type Send = (request: HttpRequest) => Promise<HttpResponse>;

export function isReplayable(body: RequestBody | undefined): boolean {
  return body === undefined || Buffer.isBuffer(body) || 'replay' in body;
}

/** Reads at most `limit` bytes of a body as text (for error envelopes); drops the rest. */
export async function readText(body: Readable, limit = 64 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const buf = chunk as Buffer;
      if (size < limit) chunks.push(buf.subarray(0, limit - size));
      size += buf.length;
    }
  } catch {
    // a broken error body is not worth failing on
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Consumes and discards a body so the keep-alive socket can be reused. */
export async function drain(body: Readable): Promise<void> {
  if (body.readableEnded || body.destroyed) return;
  try {
    for await (const _ of body) {
      // discard
    }
  } catch {
    // ignore
  }
}

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
