/**
 * Transport layer: node:http/https with keep-alive Agents and an inactivity timeout. Maps socket
 * failures to OCI_CONNECTION / OCI_TLS / OCI_TIMEOUT (with the sanitized URL, `next: backoff`
 * except TLS, which a human must fix). A stall longer than `timeoutMs` while the body streams
 * destroys the body with OCI_TIMEOUT, so a blob writer can resume. Requests marked `bulk` (blob
 * downloads) go through the lean reader of bulk-get.ts instead, with the same errors.
 */
import http from 'node:http';
import https from 'node:https';
import { pipeline } from 'node:stream';
import { FerryError, NextAction } from '../../errors/index.js';
import { sanitizeUrl } from '../../util/index.js';
import { OciErrorCode } from '../errors.js';
import type { HttpRequest, HttpResponse, Send } from './types.js';
import { createBulkGetter } from './bulk-get.js';

export interface TransportOptions {
  timeoutMs?: number;
  userAgent?: string;
  /** Called once per request sent (tests count requests). */
  onRequest?: (method: string, url: string, status: number) => void;
  /** Extra CA certificates / TLS options for https. */
  tls?: https.AgentOptions;
  maxSockets?: number;
}

const TLS_CODES = /^(ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_SSL_|EPROTO)/;

/** The URL without query (upload locations carry long opaque state) and without credentials. */
export function shortUrl(url: URL): string {
  const copy = new URL(sanitizeUrl(url));
  copy.search = '';
  return copy.toString();
}

export function networkError(err: unknown, request: Pick<HttpRequest, 'method' | 'url'>): FerryError {
  if (err instanceof FerryError) return err;
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const url = shortUrl(request.url);
  const data = { url, method: request.method, cause: code };
  if (code === 'ABORT_ERR' || (err as Error).name === 'AbortError') {
    // The caller's signal, not the network: same code as an aborted blob write.
    return new FerryError('ABORTED', `request to ${url} was aborted`, { data, next: NextAction.retry, cause: err });
  }
  if (TLS_CODES.test(code)) {
    return new FerryError(OciErrorCode.tls, `TLS failure talking to ${url} (${code})`, { data, next: NextAction.fix, cause: err });
  }
  return new FerryError(OciErrorCode.connection, `connection to ${url} failed (${code || (err as Error).message})`, {
    data,
    next: NextAction.backoff,
    cause: err,
  });
}

export function createTransport({ timeoutMs = 30_000, userAgent = 'ferry', onRequest, tls, maxSockets = 32 }: TransportOptions = {}): {
  send: Send;
  close: () => void;
} {
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets });
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets, ...tls });
  const timeoutError = (request: HttpRequest): FerryError =>
    new FerryError(OciErrorCode.timeout, `no data from ${shortUrl(request.url)} for ${timeoutMs} ms`, {
      data: { url: shortUrl(request.url), method: request.method },
      next: NextAction.backoff,
    });
  const bulk = createBulkGetter({
    userAgent,
    timeoutMs,
    ...(tls ? { tls } : {}),
    ...(onRequest ? { onRequest } : {}),
    networkError,
    timeoutError,
  });

  const send: Send = async (request) => {
    if (request.bulk && request.method === 'GET' && request.body === undefined) return bulk.get(request);
    const isHttps = request.url.protocol === 'https:';
    let bodyStream: NodeJS.ReadableStream | undefined;
    let length: number | undefined;
    if (Buffer.isBuffer(request.body)) length = request.body.length;
    else if (request.body && 'stream' in request.body) ({ stream: bodyStream, length } = request.body);
    else if (request.body && 'replay' in request.body) ({ stream: bodyStream, length } = await request.body.replay());
    const headers: Record<string, string> = { 'user-agent': userAgent, ...request.headers };
    if (length !== undefined) headers['content-length'] = String(length);
    else if (request.body === undefined && (request.method === 'PUT' || request.method === 'POST' || request.method === 'PATCH')) headers['content-length'] = '0';

    return new Promise<HttpResponse>((resolve, reject) => {
      const req = (isHttps ? https : http).request(request.url, {
        method: request.method,
        headers,
        agent: isHttps ? httpsAgent : httpAgent,
        signal: request.signal,
      });
      req.setTimeout(timeoutMs, () => req.destroy(timeoutError(request)));
      // pipeline() aborts a ClientRequest without its error: keep the body's own error (a
      // verification failure of the streamed blob) so it surfaces instead of "socket hang up".
      let bodyError: unknown;
      req.once('error', (err) => reject(bodyError ?? networkError(err, request)));
      req.once('response', (res) => {
        onRequest?.(request.method, sanitizeUrl(request.url), res.statusCode ?? 0);
        // A mid-body socket error surfaces on `res` as an error the blob writer can resume from.
        res.once('aborted', () => res.destroy(networkError(Object.assign(new Error('connection closed mid-body'), { code: 'ECONNRESET' }), request)));
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, url: request.url });
      });
      if (Buffer.isBuffer(request.body)) req.end(request.body);
      else if (bodyStream)
        pipeline(bodyStream, req, (err) => {
          if (!err) return;
          bodyError = err instanceof FerryError ? err : networkError(err, request);
          req.destroy(err);
        });
      else req.end();
    });
  };
  return {
    send,
    close: () => {
      bulk.close();
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
