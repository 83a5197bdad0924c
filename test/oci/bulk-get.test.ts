/**
 * The lean bulk reader (src/oci/http/bulk-get.ts) through the transport, against real loopback
 * servers: node:http and https servers for well-formed answers, and a raw TCP server for what
 * node:http would never send (malformed heads, 1xx, a cut mid-body). Every body is checked byte
 * for byte, through both `pull` and the Readable interface.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCert } from '../helpers/tls-cert.js';
import { createTransport } from '../../src/oci/http/transport.js';
import { BulkBody } from '../../src/oci/http/bulk-get.js';
import type { HttpResponse } from '../../src/oci/http/types.js';
import { OciErrorCode } from '../../src/oci/index.js';
import { isFerryError } from '../../src/errors/index.js';

const BIG = randomBytes(3 * 1024 * 1024 + 12_345);
const SMALL = randomBytes(10_000);
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Reads a bulk body through `pull`, copying each chunk when its (async) sink settles. */
async function pullAll(res: HttpResponse, { asyncSink = true } = {}): Promise<{ data: Buffer; chunks: number[] }> {
  const body = res.body as BulkBody;
  expect(body).toBeInstanceOf(BulkBody);
  const parts: Buffer[] = [];
  const chunks: number[] = [];
  await body.pull((chunk) => {
    chunks.push(chunk.length);
    if (!asyncSink) {
      parts.push(Buffer.from(chunk));
      return;
    }
    // Copy only after a delay: the chunk must still hold the same bytes (not reused meanwhile).
    const digest = sha(chunk);
    return new Promise<void>((resolve) =>
      setTimeout(() => {
        expect(sha(chunk)).toBe(digest);
        parts.push(Buffer.from(chunk));
        resolve();
      }, 2),
    );
  });
  return { data: Buffer.concat(parts), chunks };
}

async function readAll(res: HttpResponse): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of res.body) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

describe('bulk GET over node:http', () => {
  let server: http.Server;
  let base: string;
  const connections = new Set<net.Socket>();
  let connectionCount = 0;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/big') return res.writeHead(200, { 'content-length': BIG.length }).end(BIG);
      if (url.pathname === '/small') return res.writeHead(200, { 'content-length': SMALL.length }).end(SMALL);
      if (url.pathname === '/chunked') {
        // No Content-Length: node:http sends chunked transfer coding, in uneven pieces.
        res.writeHead(200);
        let offset = 0;
        const next = (): void => {
          if (offset >= BIG.length) return void res.end();
          const size = 1 + Math.floor(Math.random() * 200_000);
          res.write(BIG.subarray(offset, offset + size));
          offset += size;
          setImmediate(next);
        };
        return next();
      }
      if (url.pathname === '/empty') return res.writeHead(204).end();
      if (url.pathname === '/stall') {
        res.writeHead(200, { 'content-length': SMALL.length });
        return res.write(SMALL.subarray(0, 1000)); // and never more
      }
      if (url.pathname === '/echo-headers') {
        const text = JSON.stringify(req.headers);
        return res.writeHead(200, { 'content-length': Buffer.byteLength(text) }).end(text);
      }
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"BLOB_UNKNOWN","message":"nope"}]}');
    });
    server.on('connection', (socket) => {
      connectionCount++;
      connections.add(socket);
      socket.on('close', () => connections.delete(socket));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const transport = createTransport({ timeoutMs: 500 });
  afterAll(() => transport.close());
  const get = (path: string, extra: { signal?: AbortSignal; headers?: Record<string, string> } = {}) =>
    transport.send({ method: 'GET', url: new URL(path, base), bulk: true, ...extra });

  it('pulls a multi-MiB body byte-identical, in chunks of at most 1 MiB, holding each until its sink settles', async () => {
    const res = await get('/big');
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String(BIG.length));
    const { data, chunks } = await pullAll(res);
    expect(sha(data)).toBe(sha(BIG));
    expect(Math.max(...chunks)).toBeLessThanOrEqual(1024 * 1024);
    expect(chunks.length).toBeGreaterThanOrEqual(4);
  });

  it('reads the same body as a Readable', async () => {
    expect(sha(await readAll(await get('/big')))).toBe(sha(BIG));
  });

  it('decodes chunked transfer coding, through pull and as a stream', async () => {
    expect(sha((await pullAll(await get('/chunked'))).data)).toBe(sha(BIG));
    expect(sha(await readAll(await get('/chunked')))).toBe(sha(BIG));
  });

  it('keeps the connection alive between requests, and replaces one the server closed', async () => {
    await pullAll(await get('/small'), { asyncSink: false });
    const before = connectionCount;
    for (let i = 0; i < 3; i++) expect(sha((await pullAll(await get('/small'), { asyncSink: false })).data)).toBe(sha(SMALL));
    expect(connectionCount).toBe(before);
    // The server closes the idle connection; noticed before the next GET, which opens a new one.
    for (const socket of connections) socket.end();
    await new Promise((r) => setTimeout(r, 100));
    expect(sha((await pullAll(await get('/small'))).data)).toBe(sha(SMALL));
    expect(connectionCount).toBe(before + 1);
    // Closed just as the next GET goes out: that GET is sent again on a new connection.
    for (const socket of connections) socket.destroy();
    expect(sha((await pullAll(await get('/small'))).data)).toBe(sha(SMALL));
    expect(connectionCount).toBe(before + 2);
  });

  it('answers a 204 with an empty body, and an error status with its body readable', async () => {
    const empty = await get('/empty');
    expect(empty.status).toBe(204);
    expect((await pullAll(empty)).data.length).toBe(0);
    const missing = await get('/nothing-here');
    expect(missing.status).toBe(404);
    expect((await readAll(missing)).toString()).toContain('BLOB_UNKNOWN');
  });

  it('sends the caller headers and its own user-agent, and refuses a header with a line break', async () => {
    const res = await get('/echo-headers', { headers: { authorization: 'Bearer abc', range: 'bytes=5-' } });
    const seen = JSON.parse((await readAll(res)).toString()) as Record<string, string>;
    expect(seen.authorization).toBe('Bearer abc');
    expect(seen.range).toBe('bytes=5-');
    expect(seen['user-agent']).toBe('ferry');
    await expect(get('/small', { headers: { authorization: 'Bearer a\r\nx-evil: 1' } })).rejects.toThrow(/invalid header/);
  });

  it('fails a stalled body with OCI_TIMEOUT after handing on the bytes that came', async () => {
    const res = await get('/stall');
    const got: number[] = [];
    const err = await (res.body as BulkBody).pull((chunk) => void got.push(chunk.length)).catch((e: unknown) => e);
    expect(isFerryError(err, OciErrorCode.timeout)).toBe(true);
    expect(got.reduce((a, b) => a + b, 0)).toBe(1000);
  });

  it('stops on abort with ABORTED, before and during the body', async () => {
    const early = new AbortController();
    early.abort();
    const before = await get('/small', { signal: early.signal }).catch((e: unknown) => e);
    expect(isFerryError(before, 'ABORTED')).toBe(true);

    const during = new AbortController();
    const res = await get('/stall', { signal: during.signal });
    setTimeout(() => during.abort(), 50);
    const err = await (res.body as BulkBody).pull(() => undefined, during.signal).catch((e: unknown) => e);
    expect((err as Error).name === 'AbortError' || isFerryError(err, 'ABORTED')).toBe(true);
  });

  it("rejects pull with the sink's own error and does not reuse that connection", async () => {
    await pullAll(await get('/small'), { asyncSink: false });
    const before = connectionCount;
    const res = await get('/big');
    const err = await (res.body as BulkBody).pull(() => {
      throw new Error('disk full');
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('disk full');
    expect(sha((await pullAll(await get('/small'))).data)).toBe(sha(SMALL));
    expect(connectionCount).toBe(before + 1);
  });

  it('refuses connection failures with OCI_CONNECTION naming the URL', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const err = await transport.send({ method: 'GET', url: new URL(`http://127.0.0.1:${port}/v2/x/blobs/sha256:abc`), bulk: true }).catch((e: unknown) => e);
    expect(isFerryError(err, OciErrorCode.connection)).toBe(true);
    expect((err as Error).message).toContain(`127.0.0.1:${port}`);
  });
});

describe('bulk GET against a raw TCP server', () => {
  let server: net.Server;
  let base: string;
  /** What the server writes for each request path (then it closes, or keeps the socket open). */
  const scripts = new Map<string, { chunks: Buffer[]; close: boolean }>();

  beforeAll(async () => {
    server = net.createServer((socket) => {
      let head = '';
      socket.on('data', (d: Buffer) => {
        head += d.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        const path = /^GET (\S+)/.exec(head)?.[1] ?? '';
        head = '';
        const script = scripts.get(path);
        if (!script) return socket.destroy();
        for (const chunk of script.chunks) socket.write(chunk);
        if (script.close) socket.end();
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  const transport = createTransport({ timeoutMs: 1_000 });
  afterAll(() => transport.close());
  const get = (path: string) => transport.send({ method: 'GET', url: new URL(path, base), bulk: true });
  const head = (text: string): Buffer => Buffer.from(text.replace(/\n/g, '\r\n'), 'latin1');

  it('skips a 100 Continue and reads the real answer', async () => {
    scripts.set('/continue', { chunks: [head('HTTP/1.1 100 Continue\n\nHTTP/1.1 200 OK\ncontent-length: 5\n\n'), Buffer.from('hello')], close: false });
    const res = await get('/continue');
    expect(res.status).toBe(200);
    expect((await readAll(res)).toString()).toBe('hello');
  });

  it('reads a body delimited by the end of the connection', async () => {
    scripts.set('/until-close', { chunks: [head('HTTP/1.1 200 OK\nconnection: close\n\n'), SMALL], close: true });
    expect(sha((await pullAll(await get('/until-close'))).data)).toBe(sha(SMALL));
  });

  it('fails a body cut before its Content-Length with OCI_CONNECTION, after handing on what came', async () => {
    scripts.set('/cut', { chunks: [head(`HTTP/1.1 200 OK\ncontent-length: ${SMALL.length}\n\n`), SMALL.subarray(0, 4000)], close: true });
    const res = await get('/cut');
    const got: Buffer[] = [];
    const err = await (res.body as BulkBody).pull((chunk) => void got.push(Buffer.from(chunk))).catch((e: unknown) => e);
    expect(isFerryError(err, OciErrorCode.connection)).toBe(true);
    expect(Buffer.concat(got).equals(SMALL.subarray(0, 4000))).toBe(true);
  });

  it.each([
    ['a bad status line', head('HTCPCP/1.0 418 teapot\n\n')],
    ['a bad header line', head('HTTP/1.1 200 OK\nno colon here\n\n')],
    ['conflicting lengths', head('HTTP/1.1 200 OK\ncontent-length: 5\ncontent-length: 6\n\nhello')],
    ['an unknown transfer coding', head('HTTP/1.1 200 OK\ntransfer-encoding: gzip\n\n')],
    ['a head over 64 KiB', head(`HTTP/1.1 200 OK\nx-pad: ${'a'.repeat(70_000)}\n\n`)],
  ])('refuses %s with OCI_CONNECTION, saying the answer is malformed', async (name, bytes) => {
    const path = `/${name.replace(/\W+/g, '-')}`;
    scripts.set(path, { chunks: [bytes], close: false });
    const err = await get(path).catch((e: unknown) => e);
    expect(isFerryError(err, OciErrorCode.connection)).toBe(true);
    expect((err as Error).message).toMatch(/malformed HTTP answer/);
  });

  it('refuses a bad chunk size inside a chunked body', async () => {
    scripts.set('/bad-chunk', { chunks: [head('HTTP/1.1 200 OK\ntransfer-encoding: chunked\n\n5\nhello\nzz\n')], close: false });
    const res = await get('/bad-chunk');
    const err = await readAll(res).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/malformed HTTP answer: bad chunk size/);
  });
});

describe('bulk GET over https', () => {
  let dir: string;
  let server: https.Server;
  let base: string;
  let cert: Buffer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-bulk-tls-'));
    const made = await selfSignedCert(dir);
    cert = made.cert;
    server = https.createServer({ key: made.key, cert }, (_req, res) => res.writeHead(200, { 'content-length': BIG.length }).end(BIG));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses an untrusted certificate with OCI_TLS', async () => {
    const transport = createTransport({ timeoutMs: 2_000 });
    const err = await transport.send({ method: 'GET', url: new URL('/blob', base), bulk: true }).catch((e: unknown) => e);
    transport.close();
    expect(isFerryError(err, OciErrorCode.tls)).toBe(true);
  });

  it('pulls byte-identical with the CA given', async () => {
    const transport = createTransport({ timeoutMs: 2_000, tls: { ca: [cert] } });
    const res = await transport.send({ method: 'GET', url: new URL('/blob', base), bulk: true });
    expect(sha((await pullAll(res)).data)).toBe(sha(BIG));
    transport.close();
  });
});
