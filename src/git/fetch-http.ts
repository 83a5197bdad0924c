/**
 * The HTTP client isomorphic-git uses to talk to the topology repository's smart-HTTP server.
 *
 * Why not `isomorphic-git/http/node`: it has no timeout, no size cap and turns TLS and socket
 * failures into untyped errors. This client guarantees:
 *   - a socket idle timeout (`timeoutMs`) and a cap on response bytes (`maxResponseBytes`);
 *   - connection failures become `GIT_CONNECTION` (next: backoff), certificate failures `GIT_TLS`
 *     (next: fix), with the URL sanitised (no user info, no secret query parameters);
 *   - redirects (at most 5) are followed, and credentials are dropped when one leaves the origin.
 * Protocol reference: https://git-scm.com/docs/http-protocol
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';
import { FerryError, NextAction } from '../errors/index.js';
import { sanitizeUrl } from '../util/sanitize-url.js';
import { GitSourceErrorCode } from './source-errors.js';

export interface GitHttpClientOptions {
  /** Socket idle timeout; a stalled server fails with GIT_CONNECTION. Default 30 s. */
  timeoutMs?: number;
  /** Cap on the bytes of one response (a pack is buffered by isomorphic-git). Default 256 MiB. */
  maxResponseBytes?: number;
  /** Extra trusted CA certificates (PEM) for https. */
  ca?: string | Buffer;
  /** Called for every request sent (method, sanitised URL): metrics and tests. */
  onRequest?: (method: string, url: string) => void;
}

const MAX_REDIRECTS = 5;
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

/** Maps a socket-level error to GIT_TLS or GIT_CONNECTION; the message never carries secrets. */
export function transportError(err: unknown, url: string): FerryError {
  const code = String((err as { code?: unknown } | null)?.code ?? 'UNKNOWN');
  const where = sanitizeUrl(url);
  if (TLS_CODES.has(code) || /certificate|ssl|tls/i.test(code)) {
    return new FerryError(GitSourceErrorCode.tls, `TLS handshake with ${where} failed (${code}): check the server certificate or the trusted CA`, {
      data: { url: where, cause: code },
      next: NextAction.fix,
    });
  }
  return new FerryError(GitSourceErrorCode.connection, `cannot reach the topology repository at ${where} (${code})`, {
    data: { url: where, cause: code },
    next: NextAction.backoff,
  });
}

async function collect(body: GitHttpRequest['body']): Promise<Buffer | undefined> {
  if (!body) return undefined;
  const chunks: Uint8Array[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function* capped(res: IncomingMessage, maxBytes: number, url: string, fail: (err: FerryError) => FerryError): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      res.destroy();
      throw fail(new FerryError(GitSourceErrorCode.tooLarge, `response from ${sanitizeUrl(url)} exceeds ${maxBytes} bytes`, {
        data: { url: sanitizeUrl(url), maxBytes },
        next: NextAction.fix,
      }));
    }
    yield chunk;
  }
}

function send(url: string, method: string, headers: Record<string, string>, body: Buffer | undefined, options: GitHttpClientOptions): Promise<IncomingMessage> {
  const target = new URL(url);
  const requestFn = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const allHeaders = { ...headers, ...(body ? { 'content-length': String(body.byteLength) } : {}) };
  return new Promise((resolve, reject) => {
    const req = requestFn(target, { method, headers: allHeaders, timeout: options.timeoutMs ?? 30_000, ...(options.ca ? { ca: options.ca } : {}) }, resolve);
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (err) => reject(transportError(err, url)));
    req.end(body);
  });
}

function withoutAuth(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'authorization'));
}

export interface GitHttpClient extends HttpClient {
  /**
   * The last failure raised while streaming a response body, cleared by the call. isomorphic-git
   * turns errors thrown from a body into its own parse errors; the caller asks here for the cause.
   */
  takeFailure(): FerryError | undefined;
}

const INFO_REFS = /\/info\/refs(\?.*)?$/;

/**
 * Like git itself, a redirect of `<base>/info/refs` moves the repository: later requests for
 * `<base>/…` (the upload-pack POST) go to the new base. isomorphic-git does not do this itself.
 */
interface Rebase {
  from: string;
  to: string;
  crossOrigin: boolean;
}

function applyRebase(url: string, rebase: Rebase | undefined): { url: string; crossOrigin: boolean } {
  if (!rebase || !url.startsWith(rebase.from)) return { url, crossOrigin: false };
  return { url: rebase.to + url.slice(rebase.from.length), crossOrigin: rebase.crossOrigin };
}

function learnRebase(original: string, final: string): Rebase | undefined {
  const a = INFO_REFS.exec(original);
  const b = INFO_REFS.exec(final);
  if (!a || !b || original === final) return undefined;
  return { from: original.slice(0, a.index), to: final.slice(0, b.index), crossOrigin: new URL(original).origin !== new URL(final).origin };
}

/** An isomorphic-git `HttpClient` with the guarantees listed at the top of this file. */
export function createGitHttpClient(options: GitHttpClientOptions = {}): GitHttpClient {
  const maxBytes = options.maxResponseBytes ?? 256 * 1024 * 1024;
  let failure: FerryError | undefined;
  let rebase: Rebase | undefined;
  const fail = (err: FerryError): FerryError => (failure = err);
  return {
    takeFailure() {
      const err = failure;
      failure = undefined;
      return err;
    },
    async request(req: GitHttpRequest): Promise<GitHttpResponse> {
      const method = req.method ?? 'GET';
      const body = await collect(req.body);
      const start = applyRebase(req.url, rebase);
      let url = start.url;
      let headers = start.crossOrigin ? withoutAuth(req.headers ?? {}) : req.headers ?? {};
      for (let hop = 0; ; hop++) {
        options.onRequest?.(method, sanitizeUrl(url));
        const res = await send(url, method, headers, body, options);
        const location = res.headers.location;
        const status = res.statusCode ?? 0;
        // GET follows any redirect; other methods only 307/308, which keep method and body.
        const follow = location !== undefined && hop < MAX_REDIRECTS && (method === 'GET' ? [301, 302, 303, 307, 308] : [307, 308]).includes(status);
        if (!follow) {
          if (method === 'GET' && status === 200) rebase = learnRebase(req.url, url) ?? rebase;
          return {
            url,
            method,
            statusCode: status,
            statusMessage: res.statusMessage ?? '',
            headers: Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v ?? '')])),
            body: capped(res, maxBytes, url, fail),
          };
        }
        res.resume();
        const next = new URL(location, url);
        if (next.origin !== new URL(url).origin) headers = withoutAuth(headers);
        url = next.toString();
      }
    },
  };
}
