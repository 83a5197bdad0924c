/**
 * Upload session limits: the blob size cap (413), expiry of idle sessions, sessions bound to
 * their repository, and that sessions live on disk (a new server over the same dirs resumes one).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createServer } from '../../src/server/index.js';
import { bearer, errorCode, makeToken, sha256, startTestServer, type TestServer } from './helpers.js';

const admin = makeToken('admin', 'write', ['*']);
const auth = bearer(admin.token);
let srv: TestServer;

beforeAll(async () => {
  srv = await startTestServer({ incoming: [admin.rule], anonymousRead: false }, { maxBlobBytes: 100_000, uploadTtlMs: 3000 });
});
afterAll(async () => {
  await srv.close();
});

async function startUpload(repo: string): Promise<string> {
  const res = await fetch(`${srv.url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: auth });
  expect(res.status).toBe(202);
  return res.headers.get('location')!;
}

describe('upload limits', () => {
  it('refuses a blob over the size cap with 413 SIZE_INVALID', async () => {
    const data = randomBytes(100_001);
    const res = await fetch(`${srv.url}/v2/apps/big/blobs/uploads/?digest=${sha256(data)}`, { method: 'POST', headers: auth, body: data });
    expect(res.status).toBe(413);
    expect(await errorCode(res)).toBe('SIZE_INVALID');
    expect((await fetch(`${srv.url}/v2/apps/big/blobs/${sha256(data)}`, { method: 'HEAD', headers: auth })).status).toBe(404);
  });

  it('refuses chunks that together pass the cap', async () => {
    const location = await startUpload('apps/big');
    const first = await fetch(`${srv.url}${location}`, { method: 'PATCH', headers: auth, body: randomBytes(60_000) });
    expect(first.status).toBe(202);
    const second = await fetch(`${srv.url}${location}`, { method: 'PATCH', headers: auth, body: randomBytes(60_000) });
    expect(second.status).toBe(413);
  });

  it('refuses more open sessions than the cap with 429 TOOMANYREQUESTS and Retry-After', async () => {
    const small = await startTestServer({ incoming: [admin.rule], anonymousRead: false }, { maxUploadSessions: 2 });
    try {
      const post = () => fetch(`${small.url}/v2/apps/many/blobs/uploads/`, { method: 'POST', headers: auth });
      expect((await post()).status).toBe(202);
      const second = await post();
      expect(second.status).toBe(202);
      const third = await post();
      expect(third.status).toBe(429);
      expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await errorCode(third)).toBe('TOOMANYREQUESTS');
      await fetch(`${small.url}${second.headers.get('location')}`, { method: 'DELETE', headers: auth });
      expect((await post()).status).toBe(202);
    } finally {
      await small.close();
    }
  });

  it('binds a session to its repository', async () => {
    const location = await startUpload('apps/one');
    const other = location.replace('/apps/one/', '/apps/two/');
    const res = await fetch(`${srv.url}${other}`, { headers: auth });
    expect(res.status).toBe(404);
    expect(await errorCode(res)).toBe('BLOB_UPLOAD_UNKNOWN');
  });

  it('expires idle sessions', async () => {
    const location = await startUpload('apps/idle');
    expect((await fetch(`${srv.url}${location}`, { headers: auth })).status).toBe(204);
    await new Promise((r) => setTimeout(r, 3300));
    const res = await fetch(`${srv.url}${location}`, { headers: auth });
    expect(res.status).toBe(404);
    expect(await errorCode(res)).toBe('BLOB_UPLOAD_UNKNOWN');
  });

  it('keeps sessions on disk: another server over the same dirs finishes an upload', async () => {
    const data = randomBytes(50_000);
    const location = await startUpload('apps/resume');
    expect((await fetch(`${srv.url}${location}`, { method: 'PATCH', headers: auth, body: data.subarray(0, 20_000) })).status).toBe(202);
    expect((await readdir(join(srv.dir, 'uploads'))).some((f) => f.endsWith('.data'))).toBe(true);

    // A second app (think: the process restarted) with no memory of the session or its hash.
    const app = createServer({ store: srv.store, auth: srv.auth.get, dataDir: srv.dir });
    const server = await new Promise<import('node:http').Server>((ok) => {
      const s = app.listen(0, '127.0.0.1', () => ok(s));
    });
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const done = await fetch(`${url}${location}?digest=${sha256(data)}`, { method: 'PUT', headers: auth, body: data.subarray(20_000) });
      expect(done.status).toBe(201);
      const back = await fetch(`${url}/v2/apps/resume/blobs/${sha256(data)}`, { headers: auth });
      expect(Buffer.from(await back.arrayBuffer()).equals(data)).toBe(true);
    } finally {
      server.closeAllConnections();
      await new Promise((ok) => server.close(ok));
    }
  });
});
