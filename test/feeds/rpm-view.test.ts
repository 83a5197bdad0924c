/**
 * The rpm feed view end to end: a real ferry server (fs store) on 127.0.0.1:0, RPMs built by
 * rpmbuild and signed by rpmsign, uploaded over HTTP, repodata compared with createrepo_c, and a
 * real `dnf --installroot … install` with gpgcheck=1 and repo_gpgcheck=1.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putPackage } from '../../src/feeds/artifact/index.js';
import { RPM_ARTIFACT_TYPE, RPM_CONFIG_MEDIA_TYPE, RPM_FILE_MEDIA_TYPE } from '../../src/feeds/rpm/index.js';
import { copy } from '../../src/oci/index.js';
import { putHugeAnnounced, bearer, startFeedServer, type RunningFeedServer } from '../helpers/feed-server.js';
import { createRpmWorkspace, createrepoReference, type RpmWorkspace } from './rpm-fixtures.js';

const run = promisify(execFile);
const FEED = 'el';

let server: RunningFeedServer;
let ws: RpmWorkspace;
let lib: string;
let app: string;
let withDeps: string;
let base: string;

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function upload(path: string | Buffer, token = server.writeToken): Promise<Response> {
  const body = typeof path === 'string' ? await readFile(path) : path;
  return fetch(`${base}/upload`, { method: 'PUT', body, headers: { authorization: bearer(token), 'content-type': 'application/x-rpm' } });
}

async function get(path: string, token = server.readToken): Promise<Response> {
  return fetch(`${base}/${path}`, { headers: { authorization: bearer(token) } });
}

async function errorCode(res: Response): Promise<string | undefined> {
  const body = (await res.json()) as { errors?: Array<{ code: string }>; error?: { code: string } };
  return body.errors?.[0]?.code ?? body.error?.code;
}

async function packageCount(): Promise<number> {
  return (await server.store.tagRecords({ feed: FEED })).length;
}

beforeAll(async () => {
  [server, ws] = await Promise.all([
    startFeedServer({
      feeds: [
        { name: FEED, type: 'rpm' },
        { name: 'el-spoke', type: 'rpm' },
        { name: 'el-odd', type: 'rpm' },
      ],
    }),
    createRpmWorkspace(),
  ]);
  base = `${server.url}/feeds/${FEED}/rpm`;
  lib = await ws.build({ name: 'ferry-lib', version: '1.0.0', autoReqProv: false, payloadBytes: 200_000 });
  app = await ws.build({ name: 'ferry-app', version: '2.1', release: '5', epoch: 1, autoReqProv: false, requires: ['ferry-lib >= 1.0'] });
  withDeps = await ws.build({ name: 'ferry-deps', version: '0.9', requires: ['/bin/sh', 'coreutils >= 8.0'], provides: ['deps-virtual = 2.0'] });
}, 90_000);

afterAll(async () => {
  await server?.stop();
  await ws?.cleanup();
});

describe('rpm view', () => {
  it('refuses uploads without a token (401) and with a read token (403)', async () => {
    expect((await fetch(`${base}/upload`, { method: 'PUT', body: await readFile(lib) })).status).toBe(401);
    expect((await upload(lib, server.readToken)).status).toBe(403);
    expect(await packageCount()).toBe(0);
  });

  it('stores uploads and serves repodata matching createrepo_c, with valid checksums', async () => {
    for (const rpm of [lib, app, withDeps]) {
      const res = await upload(rpm);
      expect(res.status).toBe(201);
    }
    expect((await upload(lib)).status).toBe(201); // the same file again is idempotent
    // The same NEVRA with other content (a rebuild: new payload, new build time) is a conflict.
    const rebuilt = await upload(await ws.build({ name: 'ferry-lib', version: '1.0.0', autoReqProv: false, payloadBytes: 200_000 }));
    expect(rebuilt.status).toBe(409);
    expect(await errorCode(rebuilt)).toBe('FEED_CONFLICT');
    // Another epoch of an existing NEVR would have the same file name under Packages/.
    const otherEpoch = await upload(await ws.build({ name: 'ferry-lib', version: '1.0.0', epoch: 3, autoReqProv: false }));
    expect(otherEpoch.status).toBe(409);
    expect(await errorCode(otherEpoch)).toBe('FEED_CONFLICT');
    expect(await packageCount()).toBe(3);

    const repomdRes = await get('repodata/repomd.xml');
    const repomd = await repomdRes.text();
    const etag = repomdRes.headers.get('etag') ?? '';
    const again = await fetch(`${base}/repodata/repomd.xml`, { headers: { authorization: bearer(server.readToken), 'if-none-match': etag } });
    expect(again.status).toBe(304);
    const ref = await createrepoReference([lib, app, withDeps], ws.dir);
    for (const kind of ['primary', 'filelists', 'other'] as const) {
      const block = new RegExp(`<data type="${kind}">([\\s\\S]*?)</data>`).exec(repomd)?.[1] ?? '';
      const href = /<location href="([^"]+)"/.exec(block)?.[1] ?? '';
      const gz = Buffer.from(await (await get(href)).arrayBuffer());
      const xml = gunzipSync(gz);
      expect(block).toContain(`<checksum type="sha256">${sha256(gz)}</checksum>`);
      expect(block).toContain(`<open-checksum type="sha256">${sha256(xml)}</open-checksum>`);
      expect(block).toContain(`<size>${gz.length}</size>`);
      expect(block).toContain(`<open-size>${xml.length}</open-size>`);
      // Same packages, same bytes as createrepo_c, apart from the file time (upload vs mtime).
      const norm = (s: string): string[] =>
        [...s.replace(/<time file="\d+"/g, '<time file="T"').matchAll(/<package[ >][\s\S]*?<\/package>\n/g)].map((m) => m[0]).sort();
      expect(norm(xml.toString('utf8'))).toEqual(norm(ref[kind]));
      expect(xml.toString('utf8')).toContain('packages="3"');
    }
  });

  it('leaves out a package whose metadata it cannot render, serving the rest', async () => {
    const file = join(ws.dir, 'odd.rpm');
    await writeFile(file, 'not really an rpm');
    const body = await readFile(file);
    await putPackage(server.store, {
      feed: 'el-odd',
      name: 'odd',
      version: '1',
      fileName: 'odd.rpm',
      fileMediaType: RPM_FILE_MEDIA_TYPE,
      artifactType: RPM_ARTIFACT_TYPE,
      configMediaType: RPM_CONFIG_MEDIA_TYPE,
      metadata: { name: 'odd', files: 'not a list' },
      file: { path: file, digest: `sha256:${sha256(body)}`, size: body.length },
    });
    const res = await fetch(`${server.url}/feeds/el-odd/rpm/repodata/repomd.xml`, { headers: { authorization: bearer(server.readToken) } });
    expect(res.status).toBe(200);
    const primary = await fetch(`${server.url}/feeds/el-odd/rpm/repodata/primary.xml.gz`, { headers: { authorization: bearer(server.readToken) } });
    expect(gunzipSync(Buffer.from(await primary.arrayBuffer())).toString('utf8')).toContain('packages="0"');
  });

  it('serves packages from the store with Range and ETag', async () => {
    const file = await readFile(app);
    const res = await get('Packages/ferry-app-2.1-5.noarch.rpm');
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(file)).toBe(true);
    const part = await fetch(`${base}/Packages/ferry-app-2.1-5.noarch.rpm`, { headers: { authorization: bearer(server.readToken), range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(file.subarray(10, 20))).toBe(true);
    expect((await get('Packages/nope-1-1.noarch.rpm')).status).toBe(404);
  });

  it('signs repomd.xml with the key served at key.asc', async () => {
    const gpgHome = join(ws.dir, 'verify-gnupg');
    await mkdir(gpgHome, { mode: 0o700 });
    const env = { ...process.env, GNUPGHOME: gpgHome };
    await writeFile(join(ws.dir, 'repo-key.asc'), await (await get('key.asc')).text());
    await writeFile(join(ws.dir, 'repomd.xml'), Buffer.from(await (await get('repodata/repomd.xml')).arrayBuffer()));
    await writeFile(join(ws.dir, 'repomd.xml.asc'), await (await get('repodata/repomd.xml.asc')).text());
    await run('gpg', ['--batch', '--import', join(ws.dir, 'repo-key.asc')], { env });
    await run('gpg', ['--batch', '--verify', join(ws.dir, 'repomd.xml.asc'), join(ws.dir, 'repomd.xml')], { env });
  });

  it.each([
    ['a file with a wrong lead magic', 400, 'FEED_INVALID_PACKAGE', (b: Buffer) => Buffer.concat([Buffer.from('not an rpm'), b.subarray(10)])],
    ['a truncated rpm', 400, 'FEED_INVALID_PACKAGE', (b: Buffer) => b.subarray(0, Math.floor(b.length / 2))],
    ['an empty body', 400, 'FEED_INVALID_PACKAGE', () => Buffer.alloc(0)],
  ])('refuses %s with %i %s; nothing stored, repodata unchanged', async (_label, status, code, mutate) => {
    const before = await (await get('repodata/repomd.xml')).text();
    const res = await upload(mutate(await readFile(await ws.build({ name: 'ferry-bad', version: '1', autoReqProv: false }))));
    expect(res.status).toBe(status);
    expect(await errorCode(res)).toBe(code);
    expect(await packageCount()).toBe(3);
    expect(await (await get('repodata/repomd.xml')).text()).toBe(before);
  });

  it('refuses a 10 GB Content-Length before reading the body (413)', async () => {
    const before = await (await get('repodata/repomd.xml')).text();
    const status = await putHugeAnnounced(`${base}/upload`, { authorization: bearer(server.writeToken) });
    expect(status).toBe(413);
    expect(await packageCount()).toBe(3);
    expect(await (await get('repodata/repomd.xml')).text()).toBe(before);
  });

  it('deletes a package with a write token; repodata follows', async () => {
    const del = (token: string): Promise<Response> =>
      fetch(`${base}/Packages/ferry-deps-0.9-1.noarch.rpm`, { method: 'DELETE', headers: { authorization: bearer(token) } });
    expect((await del(server.readToken)).status).toBe(403);
    expect((await del(server.writeToken)).status).toBe(204);
    expect((await del(server.writeToken)).status).toBe(404);
    expect(await packageCount()).toBe(2);
    const repomd = await (await get('repodata/repomd.xml')).text();
    const href = /<data type="primary">[\s\S]*?<location href="([^"]+)"/.exec(repomd)?.[1] ?? '';
    const primary = gunzipSync(Buffer.from(await (await get(href)).arrayBuffer())).toString('utf8');
    expect(primary).toContain('packages="2"');
    expect(primary).not.toContain('<name>ferry-deps</name>');
    expect((await get('Packages/ferry-deps-0.9-1.noarch.rpm')).status).toBe(404);
  });

  it('serves packages copied in as OCI artifacts under another feed name (how replication lands them)', async () => {
    const spoke = `${server.url}/feeds/el-spoke/rpm`;
    const read = (path: string): Promise<Response> => fetch(`${spoke}/${path}`, { headers: { authorization: bearer(server.readToken) } });
    const before = await (await read('repodata/repomd.xml')).text();
    for (const tag of await server.store.tagRecords({ feed: FEED })) {
      const repository = tag.repository.replace(`${FEED}/`, 'el-spoke/');
      await copy(server.store, { repository: tag.repository, reference: tag.tag }, server.store, { repository, reference: tag.tag });
    }
    const repomd = await (await read('repodata/repomd.xml')).text();
    expect(repomd).not.toBe(before);
    const href = /<data type="primary">[\s\S]*?<location href="([^"]+)"/.exec(repomd)?.[1] ?? '';
    const primary = gunzipSync(Buffer.from(await (await read(href)).arrayBuffer())).toString('utf8');
    expect(primary).toContain('packages="2"');
    expect(primary).toContain(`<checksum type="sha256" pkgid="YES">${sha256(await readFile(app))}</checksum>`);
    const file = await read('Packages/ferry-app-2.1-5.noarch.rpm');
    expect(Buffer.from(await file.arrayBuffer()).equals(await readFile(app))).toBe(true);
  });

  /** A dnf configuration under `dir` that trusts `keys` (file names in `dir`). */
  async function dnfSetup(dir: string, keys: string[]): Promise<string[]> {
    await mkdir(join(dir, 'repos.d'), { recursive: true });
    await writeFile(join(dir, 'publisher.asc'), ws.publicKey);
    await writeFile(join(dir, 'ferry.asc'), await (await get('key.asc')).text());
    await writeFile(join(dir, 'dnf.conf'), `[main]\nreposdir=${dir}/repos.d\ngpgcheck=1\nrepo_gpgcheck=1\ninstall_weak_deps=False\nkeepcache=False\n`);
    await writeFile(
      join(dir, 'repos.d', 'ferry.repo'),
      [
        '[ferry]',
        'name=ferry test feed',
        `baseurl=${base}/`,
        'username=dnf',
        `password=${server.readToken}`,
        'gpgcheck=1',
        'repo_gpgcheck=1',
        `gpgkey=${keys.map((k) => (k.startsWith('http') ? k : `file://${dir}/${k}`)).join(' ')}`,
        '',
      ].join('\n'),
    );
    return ['-c', join(dir, 'dnf.conf'), '--releasever=12', `--installroot=${dir}/root`, `--setopt=cachedir=${dir}/cache`, '-y'];
  }

  it('installs with a real dnf (gpgcheck=1, repo_gpgcheck=1)', async () => {
    const d = join(ws.dir, 'dnf');
    // The site key straight from the feed (dnf sends the repository's credentials for it).
    const args = await dnfSetup(d, [`${base}/key.asc`, 'publisher.asc']);
    await run('dnf', [...args, 'install', 'ferry-app'], { maxBuffer: 16 * 1024 * 1024, timeout: 120_000 });
    const { stdout } = await run('rpm', ['--root', join(d, 'root'), '-q', 'ferry-app', 'ferry-lib']);
    expect(stdout).toContain('ferry-app-2.1-5.noarch');
    expect(stdout).toContain('ferry-lib-1.0.0-1.noarch');
    expect(await readFile(join(d, 'root', 'usr', 'bin', 'ferry-app'), 'utf8')).toContain('echo ferry-app');
  }, 150_000);

  it('dnf refuses the repository when it does not trust the key that signed repomd.xml', async () => {
    const d = join(ws.dir, 'dnf-untrusted');
    const args = await dnfSetup(d, ['publisher.asc']);
    const err = await run('dnf', [...args, 'install', 'ferry-app'], { maxBuffer: 16 * 1024 * 1024, timeout: 120_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as { stderr?: string }).stderr)).toMatch(/GPG|signature|verif/i);
    await expect(run('rpm', ['--root', join(d, 'root'), '-q', 'ferry-app'])).rejects.toThrow();
  }, 150_000);
});
