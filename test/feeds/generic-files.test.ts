/**
 * The generic (files) feed with the real `curl`: `curl -T` upload, download with Range and
 * resume (`curl -C -`), ETag / If-None-Match, versions, directory listing, deletes, and path
 * validation with raw HTTP requests (curl and fetch would normalise `..` away themselves).
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putHugeAnnounced, bearer, startFeedServer, type RunningFeedServer } from '../helpers/feed-server.js';

const run = promisify(execFile);
let server: RunningFeedServer;
let work: string;
const FEED = 'files';

function url(path: string): string {
  return `${server.url}/feeds/${FEED}/files/${path}`;
}

async function curl(args: string[]): Promise<string> {
  const { stdout } = await run('curl', ['-sS', '--fail-with-body', ...args]);
  return stdout;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A raw request with the path exactly as given (no client-side normalisation). */
function raw(method: string, path: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, method, path, headers: { authorization: bearer(token), 'content-length': '2' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end('hi');
  });
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-files-'));
  server = await startFeedServer({ feeds: [{ name: FEED, type: 'generic' }] });
});

afterAll(async () => {
  await server?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('generic feed with curl', () => {
  it('uploads with curl -T and downloads the same bytes with ETag = sha256', async () => {
    const data = randomBytes(300_000);
    await writeFile(join(work, 'tool.bin'), data);
    const out = JSON.parse(await curl(['-H', `Authorization: Bearer ${server.writeToken}`, '-T', join(work, 'tool.bin'), url('tools/v1/tool.bin')])) as { version: number; digest: string };
    expect(out).toMatchObject({ version: 1, digest: `sha256:${sha256(data)}` });
    await curl(['-u', `any:${server.readToken}`, '-o', join(work, 'down.bin'), '-D', join(work, 'headers.txt'), url('tools/v1/tool.bin')]);
    expect(sha256(await readFile(join(work, 'down.bin')))).toBe(sha256(data));
    expect(await readFile(join(work, 'headers.txt'), 'utf8')).toMatch(new RegExp(`etag: "${sha256(data)}"`, 'i'));
  });

  it('serves a Range (206) and resumes an interrupted download with curl -C -', async () => {
    const data = randomBytes(1_000_000);
    await writeFile(join(work, 'big.bin'), data);
    await curl(['-H', `Authorization: Bearer ${server.writeToken}`, '-T', join(work, 'big.bin'), url('big.bin')]);
    const part = await fetch(url('big.bin'), { headers: { authorization: bearer(server.readToken), range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 100-199/1000000');
    expect(Buffer.from(await part.arrayBuffer()).equals(data.subarray(100, 200))).toBe(true);
    const suffix = await fetch(url('big.bin'), { headers: { authorization: bearer(server.readToken), range: 'bytes=-10' } });
    expect(Buffer.from(await suffix.arrayBuffer()).equals(data.subarray(data.length - 10))).toBe(true);
    const bad = await fetch(url('big.bin'), { headers: { authorization: bearer(server.readToken), range: 'bytes=2000000-' } });
    expect(bad.status).toBe(416);

    // An interrupted download: the first 400,000 bytes are on disk; curl -C - fetches the rest.
    await writeFile(join(work, 'resume.bin'), data.subarray(0, 400_000));
    await curl(['-u', `any:${server.readToken}`, '-C', '-', '-o', join(work, 'resume.bin'), url('big.bin')]);
    expect(sha256(await readFile(join(work, 'resume.bin')))).toBe(sha256(data));
  });

  it('answers If-None-Match with 304 and HEAD with headers only', async () => {
    const head = await fetch(url('big.bin'), { method: 'HEAD', headers: { authorization: bearer(server.readToken) } });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('1000000');
    const etag = head.headers.get('etag') as string;
    const again = await fetch(url('big.bin'), { headers: { authorization: bearer(server.readToken), 'if-none-match': etag } });
    expect(again.status).toBe(304);
  });

  it('keeps every version: an overwrite is a new version, the old one stays addressable', async () => {
    const put = async (body: string): Promise<Response> => fetch(url('conf/app.yaml'), { method: 'PUT', headers: { authorization: bearer(server.writeToken), 'content-type': 'text/yaml' }, body });
    expect((await put('a: 1\n')).status).toBe(201);
    const second = await put('a: 2\n');
    expect(second.status).toBe(201);
    expect(((await second.json()) as { version: number }).version).toBe(2);
    expect((await put('a: 2\n')).status).toBe(200); // same content as the newest: no new version
    const read = async (query: string): Promise<string> => (await fetch(url(`conf/app.yaml${query}`), { headers: { authorization: bearer(server.readToken) } })).text();
    expect(await read('')).toBe('a: 2\n');
    expect(await read('?version=1')).toBe('a: 1\n');
    const versions = (await (await fetch(url('conf/app.yaml?versions'), { headers: { authorization: bearer(server.readToken) } })).json()) as { versions: Array<{ version: number }> };
    expect(versions.versions.map((v) => v.version)).toEqual([1, 2]);
    const gone = await fetch(url('conf/app.yaml?version=1'), { method: 'DELETE', headers: { authorization: bearer(server.writeToken) } });
    expect(gone.status).toBe(204);
    expect((await fetch(url('conf/app.yaml?version=1'), { headers: { authorization: bearer(server.readToken) } })).status).toBe(404);
    expect(await read('')).toBe('a: 2\n');
  });

  it('lists directories as JSON', async () => {
    await fetch(url('docs/Read Me.TXT'), { method: 'PUT', headers: { authorization: bearer(server.writeToken) }, body: 'hello' });
    const root = (await (await fetch(url(''), { headers: { authorization: bearer(server.readToken) } })).json()) as { entries: Array<{ name: string; type: string }> };
    expect(root.entries.map((e) => e.name)).toEqual(['big.bin', 'conf/', 'docs/', 'tools/']);
    const docs = (await (await fetch(url('docs'), { headers: { authorization: bearer(server.readToken) } })).json()) as { path: string; entries: Array<{ name: string; size: number; version: number }> };
    expect(docs).toMatchObject({ path: 'docs/', entries: [{ name: 'Read Me.TXT', size: 5, version: 1 }] });
    const slashed = (await (await fetch(url('docs/'), { headers: { authorization: bearer(server.readToken) } })).json()) as { path: string };
    expect(slashed.path).toBe('docs/');
    expect(await (await fetch(url('docs/Read%20Me.TXT'), { headers: { authorization: bearer(server.readToken) } })).text()).toBe('hello');
    expect((await fetch(url('docs/Read%20Me.TXT'), { method: 'DELETE', headers: { authorization: bearer(server.writeToken) } })).status).toBe(204);
    const after = (await (await fetch(url(''), { headers: { authorization: bearer(server.readToken) } })).json()) as { entries: Array<{ name: string }> };
    expect(after.entries.map((e) => e.name)).toEqual(['big.bin', 'conf/', 'tools/']);
    expect((await fetch(url('nope/'), { headers: { authorization: bearer(server.readToken) } })).status).toBe(404);
  });

  it.each([
    ['dot-dot segment', '/feeds/files/files/a/../../etc/passwd'],
    ['encoded dot-dot', '/feeds/files/files/a/%2e%2e/b'],
    ['encoded slash in a segment', '/feeds/files/files/a%2F..%2Fb'],
    ['backslash', '/feeds/files/files/a%5Cb'],
    ['NUL', '/feeds/files/files/a%00b'],
    ['empty segment (absolute-looking)', '/feeds/files/files//etc/passwd'],
    ['segment too long', `/feeds/files/files/${'a'.repeat(256)}`],
    ['path too long', `/feeds/files/files/${Array.from({ length: 9 }, () => 'b'.repeat(200)).join('/')}`],
  ])('refuses %s with 400 FEED_INVALID_PATH and stores nothing', async (_label, path) => {
    const before = await server.store.repositoryList(FEED);
    const result = await raw('PUT', path, server.writeToken);
    expect(result.status).toBe(400);
    expect(JSON.parse(result.body).errors[0].code).toBe('FEED_INVALID_PATH');
    expect(await server.store.repositoryList(FEED)).toEqual(before);
  });

  it('needs a write token to upload and a token to read', async () => {
    expect((await fetch(url('x.txt'), { method: 'PUT', headers: { authorization: bearer(server.readToken) }, body: 'x' })).status).toBe(403);
    expect((await fetch(url('big.bin'))).status).toBe(401);
  });

  it('refuses a 10 GB Content-Length before reading it', async () => {
    const status = await putHugeAnnounced(url('huge.iso'), { authorization: bearer(server.writeToken) }, 1024);
    expect(status).toBe(413);
  });
});
