/**
 * A lean HTTP/1.1 GET for large bodies (blob downloads), used by the transport for requests
 * marked `bulk`. Everything else goes through node:http.
 *
 * Why it exists: on a fast link node:http allocates a fresh 64 KiB buffer and runs a stream event
 * per socket read; for a 1 GiB blob that is 16k allocations of memory the kernel must fault in,
 * plus the parser and stream machinery per chunk, and it halved ferry's throughput against curl
 * (bench/copy.ts). Here the socket reads (net/tls `onread`) go straight into reused buffers of
 * up to 1 MiB, and a consumer that can take bytes as they come (`BulkBody.pull`) gets them
 * without a copy or an allocation; any other consumer reads the body as a normal Readable.
 *
 * Scope (the contract the transport relies on): GET without a request body; HTTP/1.1 responses
 * framed by Content-Length, chunked transfer coding, or the end of the connection; 1xx answers
 * skipped; a header block of at most 64 KiB. Connections are kept alive per origin and reused
 * when the previous body was read to its end; a reused connection that the server closed
 * before answering is replaced once, transparently (GET is idempotent).
 */
import net from 'node:net';
import tls from 'node:tls';
import { Readable } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';
import { sanitizeUrl } from '../../util/index.js';
import type { HttpRequest, HttpResponse } from './types.js';

export interface BulkGetOptions {
  userAgent: string;
  /** Inactivity timeout of a connection while a request is open (ms). */
  timeoutMs: number;
  /** TLS options for https (for example extra CA certificates). */
  tls?: tls.ConnectionOptions;
  /** Called once per response received (tests count requests). */
  onRequest?: (method: string, url: string, status: number) => void;
  /** Builds the error for a failed connection or request (the transport's mapping). */
  networkError: (err: unknown, request: HttpRequest) => Error;
  /** Builds the error for an inactivity timeout. */
  timeoutError: (request: HttpRequest) => Error;
}

/**
 * Takes a chunk of the body. The chunk is only valid until the sink returns, or, when the sink
 * returns a promise, until that promise settles: its memory is then reused for later bytes.
 */
export type BodySink = (chunk: Buffer) => void | Promise<void>;

const HEADER_LIMIT = 64 * 1024;
const BODY_BUFFER = 1024 * 1024;
const CHUNKED_READ = 64 * 1024;
const MAX_IDLE_PER_ORIGIN = 8;
const IDLE_MS = 4_000;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export interface BulkGetter {
  get(request: HttpRequest): Promise<HttpResponse>;
  close(): void;
}

export function createBulkGetter(options: BulkGetOptions): BulkGetter {
  const idle = new Map<string, Connection[]>();
  let closed = false;

  const takeIdle = (origin: string): Connection | undefined => {
    const list = idle.get(origin);
    const conn = list?.pop();
    if (list && list.length === 0) idle.delete(origin);
    return conn;
  };
  const release = (origin: string, conn: Connection): void => {
    const list = idle.get(origin) ?? [];
    if (closed || list.length >= MAX_IDLE_PER_ORIGIN) return conn.destroy();
    conn.park(IDLE_MS, () => {
      const current = idle.get(origin);
      const i = current?.indexOf(conn) ?? -1;
      if (current && i >= 0) current.splice(i, 1);
    });
    list.push(conn);
    idle.set(origin, list);
  };

  const get = async (request: HttpRequest): Promise<HttpResponse> => {
    if (request.method !== 'GET' || request.body !== undefined) throw new Error('bulk GET: only GET without a body');
    const head = requestHead(request, options.userAgent);
    const origin = request.url.origin;
    const reused = takeIdle(origin);
    if (reused) {
      try {
        return await exchange(reused, request, head, origin);
      } catch (err) {
        // The server may have closed the idle connection just as we sent: try once on a new one.
        if (!(err instanceof StaleConnection)) throw err;
      }
    }
    return exchange(connect(request.url, options.tls), request, head, origin);
  };

  const exchange = (conn: Connection, request: HttpRequest, head: Buffer, origin: string): Promise<HttpResponse> =>
    new Promise<HttpResponse>((resolve, reject) => {
      conn.start(request, head, options, {
        onHead: (status, headers, body) => {
          options.onRequest?.(request.method, sanitizeUrl(request.url), status);
          resolve({ status, headers, body, url: request.url });
        },
        onHeadError: reject,
        onDone: (reusable) => (reusable ? release(origin, conn) : conn.destroy()),
      });
    });

  return {
    get,
    close: () => {
      closed = true;
      for (const list of idle.values()) for (const conn of list) conn.destroy();
      idle.clear();
    },
  };
}

function requestHead(request: HttpRequest, userAgent: string): Buffer {
  const url = request.url;
  const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `host: ${url.host}`];
  const headers: Record<string, string> = { 'user-agent': userAgent, ...request.headers };
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name) || /[\r\n\0]/.test(value)) throw new Error(`bulk GET: invalid header ${JSON.stringify(name)}`);
    if (name.toLowerCase() !== 'host') lines.push(`${name}: ${value}`);
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

function connect(url: URL, tlsOptions: tls.ConnectionOptions | undefined): Connection {
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const conn = new Connection();
  const onread = { buffer: () => conn.readBuffer(), callback: (n: number) => conn.onRead(n) };
  conn.socket =
    url.protocol === 'https:'
      ? tls.connect({ ...tlsOptions, host, port, onread, ...(net.isIP(host) ? {} : { servername: host }) } as tls.ConnectionOptions)
      : net.connect({ host, port, onread });
  conn.socket.setNoDelay(true);
  conn.socket.on('error', (err) => conn.fail(err));
  conn.socket.on('end', () => conn.onEnd());
  conn.socket.on('close', () => conn.onEnd());
  conn.socket.on('timeout', () => conn.onTimeout());
  return conn;
}

/** Thrown when a reused connection ended before any byte of the answer. */
class StaleConnection extends Error {}

interface ExchangeHandlers {
  onHead: (status: number, headers: IncomingHttpHeaders, body: BulkBody) => void;
  onHeadError: (err: unknown) => void;
  onDone: (reusable: boolean) => void;
}

type Framing = { kind: 'length'; left: number } | { kind: 'chunked'; decoder: ChunkedDecoder } | { kind: 'close' };

/**
 * One connection, one exchange at a time. Reads land in the header buffer until the head is
 * complete, then in the body's own buffers (Content-Length and close framing) or in a raw buffer
 * that the chunked decoder copies from. After a body ends the connection owns nothing of it: the
 * body never touches the connection again.
 */
class Connection {
  socket!: net.Socket;
  private readonly headerBuffer = Buffer.allocUnsafe(HEADER_LIMIT);
  private headerFilled = 0;
  private rawBuffer: Buffer | undefined;
  private exchange: { request: HttpRequest; options: BulkGetOptions; handlers: ExchangeHandlers; onReusedConnection: boolean } | undefined;
  private body: BulkBody | undefined;
  private framing: Framing | undefined;
  private receivedAny = false;
  private reusable = false;
  private exchanges = 0;
  private dead = false;
  private abortCleanup: (() => void) | undefined;
  private onGone: (() => void) | undefined;

  start(request: HttpRequest, head: Buffer, options: BulkGetOptions, handlers: ExchangeHandlers): void {
    this.exchange = { request, options, handlers, onReusedConnection: this.exchanges > 0 };
    this.exchanges++;
    this.onGone = undefined;
    this.receivedAny = false;
    if (this.dead) return this.fail(Object.assign(new Error('connection closed before an answer'), { code: 'ECONNRESET' }));
    this.socket.setTimeout(options.timeoutMs);
    this.socket.ref();
    const signal = request.signal;
    if (signal) {
      if (signal.aborted) return this.fail(abortError());
      const onAbort = (): void => this.fail(abortError());
      signal.addEventListener('abort', onAbort, { once: true });
      this.abortCleanup = () => signal.removeEventListener('abort', onAbort);
    }
    this.socket.write(head);
    this.socket.resume();
  }

  /** Keeps the idle connection for reuse; `onGone` when it closes or idles out. */
  park(idleMs: number, onGone: () => void): void {
    this.onGone = onGone;
    this.socket.setTimeout(idleMs);
    // Like node:http's agent: an idle connection does not keep the process alive.
    this.socket.unref();
    // Read while idle, so a close by the server is noticed (bytes while idle are an error).
    this.socket.resume();
  }

  readBuffer(): Buffer {
    const framing = this.framing;
    if (!framing) return this.headerBuffer.subarray(this.headerFilled);
    if (framing.kind === 'chunked') return (this.rawBuffer ??= Buffer.allocUnsafe(CHUNKED_READ));
    return this.body!.writableArea(framing.kind === 'length' ? framing.left : Infinity);
  }

  onRead(n: number): boolean {
    this.receivedAny = true;
    if (!this.exchange) {
      this.destroy();
      this.onGone?.();
      return false;
    }
    try {
      return this.framing ? this.onBodyBytes(n) : this.onHeadBytes(n);
    } catch (err) {
      this.fail(err);
      return false;
    }
  }

  private onHeadBytes(n: number): boolean {
    this.headerFilled += n;
    for (;;) {
      const end = this.headerBuffer.subarray(0, this.headerFilled).indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.headerFilled >= HEADER_LIMIT) throw protocolFailure(`header block larger than ${HEADER_LIMIT} bytes`);
        return true;
      }
      const head = parseHead(this.headerBuffer.toString('latin1', 0, end));
      const rest = Buffer.from(this.headerBuffer.subarray(end + 4, this.headerFilled));
      this.headerFilled = 0;
      if (head.status < 200) {
        if (head.status === 101) throw protocolFailure('unexpected 101 Switching Protocols');
        rest.copy(this.headerBuffer);
        this.headerFilled = rest.length;
        continue;
      }
      const framing = framingOf(head.status, head.headers);
      this.framing = framing;
      this.reusable = head.keepAlive && framing.kind !== 'close';
      this.body = new BulkBody(this, framing.kind === 'length' ? framing.left : undefined);
      this.exchange!.handlers.onHead(head.status, head.headers, this.body);
      if (framing.kind === 'length' && framing.left === 0) {
        if (rest.length > 0) this.reusable = false;
        this.finish();
        return true;
      }
      return rest.length > 0 ? this.feedBody(rest) : true;
    }
  }

  private onBodyBytes(n: number): boolean {
    const framing = this.framing!;
    if (framing.kind === 'chunked') return this.feedBody(this.rawBuffer!.subarray(0, n));
    const body = this.body!;
    if (framing.kind === 'length') framing.left -= n;
    const more = body.advance(n);
    if (framing.kind === 'length' && framing.left === 0) this.finish();
    return more;
  }

  /** Body bytes that arrived outside the body's own buffer (after the head, or chunked). */
  private feedBody(bytes: Buffer): boolean {
    const framing = this.framing!;
    const body = this.body!;
    if (framing.kind === 'chunked') {
      let more = true;
      const done = framing.decoder.feed(bytes, (data) => {
        more = body.append(data) && more;
      });
      if (done) {
        if (framing.decoder.extra > 0) this.reusable = false;
        this.finish();
      }
      return more;
    }
    let data = bytes;
    if (framing.kind === 'length') {
      if (data.length > framing.left) {
        data = data.subarray(0, framing.left);
        this.reusable = false;
      }
      framing.left -= data.length;
    }
    const more = body.append(data);
    if (framing.kind === 'length' && framing.left === 0) this.finish();
    return more;
  }

  /** The answer is complete: hand the connection back (or close it) and end the body. */
  private finish(): void {
    const { handlers } = this.exchange!;
    const body = this.body!;
    this.endExchange();
    body.complete();
    handlers.onDone(this.reusable && !this.dead);
  }

  private endExchange(): void {
    this.abortCleanup?.();
    this.abortCleanup = undefined;
    this.exchange = undefined;
    this.body = undefined;
    this.framing = undefined;
    this.headerFilled = 0;
  }

  onEnd(): void {
    if (this.dead && !this.exchange) return;
    this.dead = true;
    if (!this.exchange) {
      this.socket.destroy();
      this.onGone?.();
      return;
    }
    if (this.framing?.kind === 'close') return this.finish();
    this.fail(Object.assign(new Error(this.framing ? 'connection closed mid-body' : 'connection closed before an answer'), { code: 'ECONNRESET' }));
  }

  onTimeout(): void {
    if (!this.exchange) {
      this.destroy();
      this.onGone?.();
      return;
    }
    this.fail(this.exchange.options.timeoutError(this.exchange.request));
  }

  /** Ends the exchange with `err`: before the head the request fails, after it the body. */
  fail(err: unknown): void {
    this.dead = true;
    this.socket.destroy();
    const exchange = this.exchange;
    if (!exchange) return this.onGone?.();
    const body = this.body;
    const headSeen = this.framing !== undefined;
    this.endExchange();
    const { request, options, handlers } = exchange;
    if (!headSeen) {
      // A kept-alive connection the server closed meanwhile fails before any byte: not an error.
      const stale = exchange.onReusedConnection && !this.receivedAny;
      handlers.onHeadError(stale ? new StaleConnection() : options.networkError(err, request));
    } else {
      body?.interrupt(options.networkError(err, request));
    }
    handlers.onDone(false);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    if (!this.dead) this.socket.resume();
  }

  destroy(): void {
    this.dead = true;
    this.abortCleanup?.();
    this.abortCleanup = undefined;
    this.socket.destroy();
  }
}

function abortError(): Error {
  return Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' });
}

/** A malformed answer; the transport's mapping turns it into a connection error with this text. */
function protocolFailure(message: string): Error {
  return new Error(`malformed HTTP answer: ${message}`);
}

interface ParsedHead {
  status: number;
  headers: IncomingHttpHeaders;
  keepAlive: boolean;
}

function parseHead(text: string): ParsedHead {
  const lines = text.split('\r\n');
  const statusLine = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/.exec(lines[0] ?? '');
  if (!statusLine) throw protocolFailure(`bad status line ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    if (colon <= 0 || !TOKEN.test(name)) throw protocolFailure(`bad header line ${JSON.stringify(line.slice(0, 80))}`);
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const connection = (headers.connection ?? '').toLowerCase();
  const keepAlive = statusLine[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
  return { status: Number(statusLine[2]), headers, keepAlive };
}

function framingOf(status: number, headers: IncomingHttpHeaders): Framing {
  if (status === 204 || status === 304) return { kind: 'length', left: 0 };
  const te = String(headers['transfer-encoding'] ?? '').toLowerCase();
  if (te) {
    if (!/(^|,)\s*chunked\s*$/.test(te)) throw protocolFailure(`unsupported transfer-encoding ${JSON.stringify(te)}`);
    delete headers['content-length'];
    return { kind: 'chunked', decoder: new ChunkedDecoder() };
  }
  const length = headers['content-length'];
  if (length === undefined) return { kind: 'close' };
  const values = new Set(String(length).split(',').map((v) => v.trim()));
  const [only] = values;
  if (values.size !== 1 || !only || !/^\d{1,15}$/.test(only)) throw protocolFailure(`bad content-length ${JSON.stringify(length)}`);
  return { kind: 'length', left: Number(only) };
}

/** Decodes chunked transfer coding (RFC 9112 section 7.1); trailers are read and dropped. */
class ChunkedDecoder {
  private state: 'size' | 'data' | 'data-end' | 'trailer' = 'size';
  private line = '';
  private left = 0;
  /** Bytes received after the final chunk (a protocol error on a kept-alive connection). */
  extra = 0;
  private done = false;

  /** Feeds raw bytes; calls `onData` with body bytes; true when the body is complete. */
  feed(bytes: Buffer, onData: (data: Buffer) => void): boolean {
    let i = 0;
    while (i < bytes.length) {
      if (this.done) {
        this.extra += bytes.length - i;
        return true;
      }
      if (this.state === 'data') {
        const take = Math.min(this.left, bytes.length - i);
        onData(bytes.subarray(i, i + take));
        this.left -= take;
        i += take;
        if (this.left === 0) this.state = 'data-end';
        continue;
      }
      const newline = bytes.indexOf(10, i);
      const end = newline < 0 ? bytes.length : newline;
      this.line += bytes.toString('latin1', i, end);
      if (this.line.length > 4096) throw protocolFailure('chunk header line too long');
      i = end;
      if (newline < 0) break;
      i += 1;
      const line = this.line.replace(/\r$/, '');
      this.line = '';
      if (this.state === 'size') {
        const size = /^([0-9a-fA-F]{1,12})(?:\s*;.*)?$/.exec(line);
        if (!size?.[1]) throw protocolFailure(`bad chunk size line ${JSON.stringify(line.slice(0, 40))}`);
        this.left = parseInt(size[1], 16);
        this.state = this.left === 0 ? 'trailer' : 'data';
      } else if (this.state === 'data-end') {
        if (line !== '') throw protocolFailure('chunk data longer than its size');
        this.state = 'size';
      } else if (line === '') {
        this.done = true;
      }
    }
    return this.done;
  }
}

/**
 * The body of a bulk answer: either `pull(sink)` (no copy, reused buffers) or the Readable
 * interface, not both. Bytes that arrive before the consumer chooses wait in up to two buffers
 * (the socket pauses then). Chunks are of up to 1 MiB. Once the body has ended on the wire it
 * never touches the connection again (the connection may serve another request by then).
 */
export class BulkBody extends Readable {
  private mode: 'unset' | 'pull' | 'stream' = 'unset';
  private readonly capacity: number;
  private current: Buffer;
  private filled = 0;
  /** Filled chunks waiting for the consumer to choose a mode. */
  private waiting: Buffer[] = [];
  /** Pull mode: buffers the sink still holds, and free ones to reuse. */
  private readonly held = new Set<Buffer>();
  private readonly spare: Buffer[] = [];
  private sink: BodySink | undefined;
  private settle: { resolve: () => void; reject: (err: unknown) => void } | undefined;
  private ended = false;
  private failure: unknown;

  constructor(
    private readonly conn: Connection,
    length: number | undefined,
  ) {
    super({ highWaterMark: 2 * BODY_BUFFER });
    this.capacity = Math.max(1, Math.min(BODY_BUFFER, length ?? BODY_BUFFER));
    this.current = Buffer.allocUnsafeSlow(this.capacity);
  }

  /**
   * Streams the body into `sink` (see BodySink). Resolves once every byte was taken and every
   * promise the sink returned settled; rejects with the connection's error or the sink's.
   */
  pull(sink: BodySink, signal?: AbortSignal): Promise<void> {
    if (this.mode !== 'unset') throw new Error('bulk body: already being read');
    this.mode = 'pull';
    this.sink = sink;
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => this.fail(abortError());
      if (signal?.aborted) onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.settle = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (err) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      const waiting = this.waiting;
      this.waiting = [];
      // Bytes received before a failure are still handed on (see interrupt).
      for (const chunk of waiting) this.feedSink(chunk, chunk);
      if (this.ended) this.deliver();
      this.settlePull();
      if (!this.ended && this.held.size < 2) this.conn.resume();
    });
  }

  /** The free area of the current buffer, at most `limit` bytes: where socket reads land. */
  writableArea(limit: number): Buffer {
    return this.current.subarray(this.filled, this.filled + Math.min(this.current.length - this.filled, limit));
  }

  /** `n` bytes landed in the writable area. False pauses the socket. */
  advance(n: number): boolean {
    this.filled += n;
    return this.filled < this.current.length || this.deliver();
  }

  /** Copies bytes that arrived elsewhere into the current buffer. False pauses the socket. */
  append(data: Buffer): boolean {
    let more = true;
    for (let offset = 0; offset < data.length; ) {
      const take = Math.min(data.length - offset, this.current.length - this.filled);
      data.copy(this.current, this.filled, offset, offset + take);
      this.filled += take;
      offset += take;
      if (this.filled === this.current.length) more = this.deliver() && more;
    }
    return more;
  }

  /** The body ended on the wire. */
  complete(): void {
    this.ended = true;
    if (this.mode === 'unset') {
      this.deliver();
      return;
    }
    this.deliver();
    if (this.mode === 'stream') this.push(null);
    else this.settlePull();
  }

  /** Hands the filled part of `current` on; false when the socket should pause. */
  private deliver(): boolean {
    if (this.filled === 0) return true;
    const chunk = this.current.subarray(0, this.filled);
    const buffer = this.current;
    this.filled = 0;
    if (this.mode === 'pull') {
      this.current = this.spare.pop() ?? Buffer.allocUnsafeSlow(this.capacity);
      return this.feedSink(chunk, buffer);
    }
    this.current = Buffer.allocUnsafeSlow(this.capacity);
    if (this.mode === 'stream') return this.push(chunk);
    this.waiting.push(chunk);
    if (this.waiting.length < 2) return true;
    if (!this.ended) this.conn.pause();
    return false;
  }

  /** Gives `chunk` (a view of `buffer`) to the sink; false while the sink holds two buffers. */
  private feedSink(chunk: Buffer, buffer: Buffer): boolean {
    let result: void | Promise<void>;
    try {
      result = this.sink!(chunk);
    } catch (err) {
      this.fail(err);
      return false;
    }
    if (!(result instanceof Promise)) {
      this.recycle(buffer);
      return true;
    }
    this.held.add(buffer);
    result.then(
      () => {
        this.held.delete(buffer);
        this.recycle(buffer);
        if (this.ended) this.settlePull();
        else if (this.held.size < 2 && this.failure === undefined) this.conn.resume();
      },
      (err: unknown) => this.fail(err),
    );
    return this.held.size < 2;
  }

  private recycle(buffer: Buffer): void {
    if (buffer.length === this.capacity && buffer !== this.current && this.spare.length < 2) this.spare.push(buffer);
  }

  private settlePull(): void {
    const settle = this.settle;
    if (!settle) return;
    if (this.failure !== undefined) {
      this.settle = undefined;
      return settle.reject(this.failure);
    }
    if (!this.ended || this.filled > 0 || this.held.size > 0) return;
    this.settle = undefined;
    settle.resolve();
  }

  /**
   * The connection failed mid-body: the bytes received so far are valid and are handed on first
   * (a blob writer keeps them as the prefix it resumes from), then the body fails with `err`.
   */
  interrupt(err: unknown): void {
    if (this.mode !== 'stream' && this.failure === undefined) this.deliver();
    this.fail(err);
  }

  /**
   * Ends the body with `err`. Only a stream consumer gets an 'error' event: a pull consumer gets
   * the rejection, and a body nobody reads yet keeps the error for its first reader.
   */
  fail(err: unknown): void {
    if (this.mode === 'stream') {
      this.destroy(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.failure ??= err;
    if (!this.ended) this.conn.destroy();
    this.settlePull();
  }

  override _read(): void {
    if (this.mode === 'pull') return;
    if (this.mode === 'unset') {
      this.mode = 'stream';
      if (this.failure !== undefined) {
        this.destroy(this.failure instanceof Error ? this.failure : new Error(String(this.failure)));
        return;
      }
      const waiting = this.waiting;
      this.waiting = [];
      for (const chunk of waiting) this.push(chunk);
      if (this.ended) {
        this.push(null);
        return;
      }
    }
    if (!this.ended) this.conn.resume();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    if (err) this.failure ??= err;
    else this.failure ??= new Error('bulk body destroyed');
    if (!this.ended) this.conn.destroy();
    this.settlePull();
    callback(err);
  }
}
