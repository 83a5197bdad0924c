/**
 * The request helper under the registry client: builds `/v2` URLs, follows blob redirects
 * (without credentials when the redirect leaves the registry's origin), and turns unexpected
 * statuses into FerryErrors with the registry's error envelope.
 */
import { FerryError } from '../errors/index.js';
import { shortUrl } from './http/transport.js';
import { errorFromResponse, OciErrorCode, type RequestSubject } from './errors.js';
import { drain, header, readText, type HttpRequest, type HttpResponse, type RequestBody, type Send } from './http/types.js';
import { parseRetryAfter } from './http/retry.js';

export interface RegistryContext {
  registry: string;
  base: URL;
  /** transport → retry → auth */
  send: Send;
  /** transport → retry, no credentials (redirects to another origin) */
  sendAnonymous: Send;
  credentialHint: string;
}

export interface CallOptions {
  method: HttpRequest['method'];
  /** Path under the registry (`/v2/...`) or an absolute URL (upload locations). */
  path: string | URL;
  query?: Record<string, string | undefined>;
  headers?: Record<string, string>;
  body?: RequestBody;
  scopes?: string[];
  expect: number[];
  subject: RequestSubject;
  notFound?: OciErrorCode;
  signal?: AbortSignal;
  /** A large body is expected: read it with the lean bulk reader (HttpRequest.bulk). */
  bulk?: boolean;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

export const pullScope = (repository: string): string => `repository:${repository}:pull`;
export const pushScope = (repository: string): string => `repository:${repository}:pull,push`;

export function urlFor(ctx: RegistryContext, path: string | URL, query?: Record<string, string | undefined>): URL {
  const url = path instanceof URL ? new URL(path) : new URL(path, ctx.base);
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
  return url;
}

/** Sends a request; returns the response when its status is expected, throws otherwise. */
export async function call(ctx: RegistryContext, options: CallOptions): Promise<HttpResponse> {
  let url = urlFor(ctx, options.path, options.query);
  let send = ctx.send;
  const subject = { ...options.subject, url: shortUrl(url), method: options.method };
  for (let hop = 0; ; hop++) {
    const request: HttpRequest = { method: options.method, url, headers: options.headers ?? {} };
    if (options.body !== undefined) request.body = options.body;
    if (options.scopes) request.scopes = options.scopes;
    if (options.signal) request.signal = options.signal;
    if (options.bulk) request.bulk = true;
    const response = await send(request);
    if (options.expect.includes(response.status)) return response;
    const location = header(response.headers, 'location');
    if (REDIRECTS.has(response.status) && location && (options.method === 'GET' || options.method === 'HEAD') && hop < MAX_REDIRECTS) {
      await drain(response.body);
      const next = new URL(location, url);
      if (next.origin !== ctx.base.origin) send = ctx.sendAnonymous;
      url = next;
      continue;
    }
    const text = options.method === 'HEAD' ? '' : await readText(response.body);
    if (options.method === 'HEAD') response.body.destroy();
    const retryAfterMs = parseRetryAfter(header(response.headers, 'retry-after'));
    throw errorFromResponse(response.status, text, subject, {
      credential: ctx.credentialHint,
      ...(options.notFound ? { notFound: options.notFound } : {}),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
}

/** Reads a whole (small) body, refusing more than `limit` bytes with `tooLarge`. */
export async function readLimited(response: HttpResponse, limit: number, tooLarge: () => FerryError): Promise<Buffer> {
  const declared = Number(header(response.headers, 'content-length') ?? NaN);
  if (declared > limit) {
    response.body.destroy();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      response.body.destroy();
      throw tooLarge();
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The URL of a `Link: <…>; rel="next"` header, resolved against `base`, if any. */
export function nextLinkUrl(link: string | undefined, base: URL): URL | undefined {
  if (!link) return undefined;
  const match = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(link);
  if (!match?.[1]) return undefined;
  try {
    return new URL(match[1], base);
  } catch {
    return undefined;
  }
}

/** The `last` of a `Link: <…?last=x&n=y>; rel="next"` header, if any. */
export function nextFromLink(link: string | undefined, base: URL): string | undefined {
  return nextLinkUrl(link, base)?.searchParams.get('last') ?? undefined;
}

export function protocolError(message: string, subject: RequestSubject): FerryError {
  return new FerryError(OciErrorCode.protocol, message, { data: { ...subject } });
}
