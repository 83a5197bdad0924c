/** The retry layer against a real loopback HTTP server: what is retried, what is not, and limits. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { createTransport } from '../../src/oci/http/transport.js';
import { withRetry } from '../../src/oci/http/retry.js';
import { drain } from '../../src/oci/http/types.js';
import { isFerryError } from '../../src/errors/index.js';

describe('retry layer', () => {
  let server: http.Server;
  let base: string;
  /** Statuses to answer, in order, per path; then 200. */
  const plans = new Map<string, Array<{ status: number; retryAfter?: string }>>();
  const hits = new Map<string, number>();

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const path = req.url ?? '/';
      hits.set(path, (hits.get(path) ?? 0) + 1);
      req.resume();
      const next = plans.get(path)?.shift();
      if (next) {
        res.writeHead(next.status, next.retryAfter ? { 'retry-after': next.retryAfter } : {}).end();
        return;
      }
      res.writeHead(200).end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const transport = createTransport({ timeoutMs: 2_000 });
  const send = withRetry(transport.send, { maxAttempts: 4, baseDelayMs: 5, deadlineMs: 10_000 });

  it.each([
    ['GET through 500, 502, 504', '/a', 'GET', [{ status: 500 }, { status: 502 }, { status: 504 }], 4],
    ['a PUT with a Buffer body (replayable)', '/b', 'PUT', [{ status: 503 }], 2],
  ] as const)('retries %s', async (_name, path, method, plan, expectedHits) => {
    plans.set(path, [...plan]);
    const res = await send({ method, url: new URL(path, base), ...(method === 'PUT' ? { body: Buffer.from('x') } : {}) });
    await drain(res.body);
    expect(res.status).toBe(200);
    expect(hits.get(path)).toBe(expectedHits);
  });

  it('never retries a request whose body is a one-shot stream', async () => {
    plans.set('/c', [{ status: 503 }]);
    const res = await send({ method: 'PUT', url: new URL('/c', base), body: { stream: Readable.from([Buffer.from('abc')]), length: 3 } });
    await drain(res.body);
    expect(res.status).toBe(503);
    expect(hits.get('/c')).toBe(1);
  });

  it('re-opens a replayable stream body for each attempt', async () => {
    plans.set('/d', [{ status: 500 }]);
    let opened = 0;
    const res = await send({
      method: 'PUT',
      url: new URL('/d', base),
      body: { replay: async () => ({ stream: Readable.from([Buffer.from(`attempt ${++opened}`)]), length: 9 }) },
    });
    await drain(res.body);
    expect(res.status).toBe(200);
    expect(opened).toBe(2);
  });

  it('honours Retry-After, and gives up when it is longer than allowed', async () => {
    plans.set('/e', [{ status: 429, retryAfter: '1' }]);
    const started = Date.now();
    const ok = await send({ method: 'GET', url: new URL('/e', base) });
    await drain(ok.body);
    expect(ok.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);

    plans.set('/f', [{ status: 503, retryAfter: '3600' }]);
    const given = await send({ method: 'GET', url: new URL('/f', base) });
    await drain(given.body);
    expect(given.status).toBe(503);
    expect(hits.get('/f')).toBe(1);
  });

  it('stops at the attempt bound and maps refused connections to OCI_CONNECTION', async () => {
    plans.set('/g', Array.from({ length: 10 }, () => ({ status: 500 })));
    const res = await send({ method: 'GET', url: new URL('/g', base) });
    await drain(res.body);
    expect(res.status).toBe(500);
    expect(hits.get('/g')).toBe(4);
    const err = await send({ method: 'GET', url: new URL('http://127.0.0.1:1/v2/') }).catch((e: unknown) => e);
    expect(isFerryError(err, 'OCI_CONNECTION')).toBe(true);
    transport.close();
  });
});
