/**
 * Bad uploads to a debian feed: each gets a clear 4xx with a stable code, nothing is stored and
 * the served indexes do not change. Malformed archives are crafted with the real `tar` and
 * `dpkg-deb --nocheck` (which skips dpkg's own policy checks) plus a small ar writer.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putHugeAnnounced, bearer, startFeedServer, type RunningFeedServer } from '../helpers/feed-server.js';
import { buildDeb, run } from './debian-fixtures.js';

let server: RunningFeedServer;
let work: string;
const FEED = 'deb-bad';

/** An ar archive (deb(5)) from raw members; names are written verbatim, so they can be hostile. */
function arArchive(members: Array<[string, Buffer]>): Buffer {
  const parts: Buffer[] = [Buffer.from('!<arch>\n')];
  for (const [name, data] of members) {
    const header = `${name.padEnd(16)}${'0'.padEnd(12)}${'0'.padEnd(6)}${'0'.padEnd(6)}${'100644'.padEnd(8)}${String(data.length).padEnd(10)}\`\n`;
    parts.push(Buffer.from(header, 'latin1'), data);
    if (data.length % 2) parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

async function controlTarGz(dir: string, entry: string, control: string): Promise<Buffer> {
  await mkdir(join(dir, 'ctl'), { recursive: true });
  await writeFile(join(dir, 'ctl/control'), control);
  const out = join(dir, 'control.tar.gz');
  // -P keeps a hostile name such as ../../control verbatim.
  await run('tar', ['-czPf', out, '-C', join(dir, 'ctl'), `--transform=s|^control$|${entry}|`, 'control']);
  return readFile(out);
}

const GOOD_CONTROL = 'Package: sneaky\nVersion: 1.0\nArchitecture: all\nMaintainer: X <x@example.invalid>\nDescription: d\n';

async function put(body: Buffer): Promise<{ status: number; code?: string }> {
  const response = await fetch(`${server.url}/feeds/${FEED}/debian/upload`, { method: 'PUT', headers: { authorization: bearer(server.writeToken) }, body });
  const json = (await response.json().catch(() => ({}))) as { errors?: Array<{ code: string }> };
  return { status: response.status, code: json.errors?.[0]?.code };
}

async function snapshot(): Promise<{ repositories: string[]; packages: string }> {
  const response = await fetch(`${server.url}/feeds/${FEED}/debian/dists/stable/main/binary-amd64/Packages`, { headers: { authorization: bearer(server.readToken) } });
  return { repositories: await server.store.repositoryList(FEED), packages: await response.text() };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-deb-bad-'));
  server = await startFeedServer({ feeds: [{ name: FEED, type: 'debian' }] });
  const good = await buildDeb(work, { name: 'good-one', version: '1.0' });
  expect((await put(await readFile(good))).status).toBe(201);
});

afterAll(async () => {
  await server?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

async function nocheckDeb(name: string, control: string): Promise<Buffer> {
  const root = join(work, `nocheck-${name}`);
  await mkdir(join(root, 'DEBIAN'), { recursive: true });
  await writeFile(join(root, 'DEBIAN/control'), control);
  const out = join(work, `${name}.deb`);
  await run('dpkg-deb', ['--nocheck', '--root-owner-group', '--build', root, out]);
  return readFile(out);
}

describe('debian upload: bad input is refused and nothing changes', () => {
  const cases: Array<[string, () => Promise<Buffer>, number, string]> = [
    ['truncated .deb', async () => (await readFile(await buildDeb(work, { name: 'cut', version: '1.0' }))).subarray(0, 300), 400, 'FEED_INVALID_PACKAGE'],
    ['not an ar archive', async () => Buffer.from('just some text, not a package\n'), 400, 'FEED_INVALID_PACKAGE'],
    ['empty body', async () => Buffer.alloc(0), 400, 'FEED_INVALID_PACKAGE'],
    ['ar member named ../evil', async () => arArchive([['debian-binary', Buffer.from('2.0\n')], ['../evil', Buffer.from('x')], ['data.tar.gz', Buffer.alloc(20)]]), 400, 'FEED_INVALID_PACKAGE'],
    ['control.tar member ../../control', async () => arArchive([['debian-binary', Buffer.from('2.0\n')], ['control.tar.gz', await controlTarGz(join(work, 'trav'), '../../control', GOOD_CONTROL)], ['data.tar.gz', Buffer.alloc(20)]]), 400, 'FEED_INVALID_PACKAGE'],
    ['control.tar member /control (absolute)', async () => arArchive([['debian-binary', Buffer.from('2.0\n')], ['control.tar.gz', await controlTarGz(join(work, 'abs'), '/control', GOOD_CONTROL)], ['data.tar.gz', Buffer.alloc(20)]]), 400, 'FEED_INVALID_PACKAGE'],
    ['bad package name', async () => nocheckDeb('badname', GOOD_CONTROL.replace('sneaky', 'Bad_Name')), 400, 'FEED_INVALID_NAME'],
    ['bad version', async () => nocheckDeb('badversion', GOOD_CONTROL.replace('Version: 1.0', 'Version: v1.0')), 400, 'FEED_INVALID_VERSION'],
    ['missing Architecture', async () => nocheckDeb('noarch', GOOD_CONTROL.replace('Architecture: all\n', '')), 400, 'FEED_INVALID_PACKAGE'],
  ];

  it.each(cases)('%s', async (_label, body, status, code) => {
    const before = await snapshot();
    const result = await put(await body());
    expect(result).toEqual({ status, code });
    expect(await snapshot()).toEqual(before);
  });

  it('accepts the same crafted archive with a safe ./control member (the cases above fail for their name only)', async () => {
    const body = arArchive([['debian-binary', Buffer.from('2.0\n')], ['control.tar.gz', await controlTarGz(join(work, 'safe'), './control', GOOD_CONTROL)], ['data.tar.gz', Buffer.alloc(20)]]);
    expect((await put(body)).status).toBe(201);
    const deleted = await fetch(`${server.url}/feeds/${FEED}/debian/packages/sneaky/1.0/all`, { method: 'DELETE', headers: { authorization: bearer(server.writeToken) } });
    expect(deleted.status).toBe(204);
  });

  it('refuses a 10 GB Content-Length before reading the body', async () => {
    const before = await snapshot();
    const started = Date.now();
    const status = await putHugeAnnounced(`${server.url}/feeds/${FEED}/debian/upload`, { authorization: bearer(server.writeToken) });
    expect(status).toBe(413);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses an upload without a write token', async () => {
    const deb = await readFile(await buildDeb(work, { name: 'anon', version: '1.0' }));
    const response = await fetch(`${server.url}/feeds/${FEED}/debian/upload`, { method: 'PUT', headers: { authorization: bearer(server.readToken) }, body: deb });
    expect(response.status).toBe(403);
    const anonymous = await fetch(`${server.url}/feeds/${FEED}/debian/upload`, { method: 'PUT', body: deb });
    expect(anonymous.status).toBe(401);
    expect((await snapshot()).repositories).toEqual([`${FEED}/good-one`]);
  });

  it('refuses the same version with different content (409) and accepts an identical re-upload', async () => {
    const first = await readFile(await buildDeb(join(work, 'v1'), { name: 'twice', version: '1.0' }));
    const second = await readFile(await buildDeb(join(work, 'v2'), { name: 'twice', version: '1.0', depends: 'libc6' }));
    expect((await put(first)).status).toBe(201);
    expect((await put(first)).status).toBe(201);
    expect(await put(second)).toEqual({ status: 409, code: 'FEED_CONFLICT' });
  });
});
