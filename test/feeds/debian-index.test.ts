/**
 * The Packages index and Release file of a debian feed compared with the reference producer,
 * `dpkg-scanpackages -m` (dpkg-dev), for the same .debs: same stanzas, same field order, same
 * sizes and hashes (only `Filename` differs: ferry serves a pool/ layout). Release hashes are
 * checked against the index files actually served, and Release.gpg / InRelease with gpgv.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startFeedServer, type RunningFeedServer } from '../helpers/feed-server.js';
import { buildDeb, dearmor, run } from './debian-fixtures.js';

let server: RunningFeedServer;
let work: string;
const FEED = 'deb-index';

type Stanza = Array<[string, string]>;

function parseStanzas(text: string): Stanza[] {
  return text
    .split(/\n\n+/)
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const fields: Stanza = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(' ')) (fields[fields.length - 1] as [string, string])[1] += `\n${line}`;
        else fields.push([line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]);
      }
      return fields;
    });
}

function key(stanza: Stanza): string {
  const get = (name: string): string => stanza.find(([n]) => n === name)?.[1] ?? '';
  return `${get('Package')} ${get('Version')} ${get('Architecture')}`;
}

async function get(path: string): Promise<Buffer> {
  const response = await fetch(`${server.url}/feeds/${FEED}/debian/${path}`, { headers: { authorization: bearer(server.readToken) } });
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-deb-index-'));
  await mkdir(join(work, 'flat'));
  server = await startFeedServer({ feeds: [{ name: FEED, type: 'debian' }] });
  const specs = [
    { name: 'alpha', version: '1.0-1', depends: 'libc6 (>= 2.17), beta | gamma', extraFields: 'Homepage: https://example.invalid/alpha\nX-Custom-Field: kept' },
    { name: 'alpha', version: '1.0-2', compression: 'gzip' as const },
    { name: 'libbeta2', version: '1:2.0~rc1+dfsg-0.1', arch: 'amd64', compression: 'zstd' as const, extraFields: 'Multi-Arch: same\nProvides: beta-api' },
    { name: 'gamma', version: '3', arch: 'arm64', compression: 'none' as const },
  ];
  for (const spec of specs) {
    const deb = await buildDeb(join(work, 'flat'), spec);
    const response = await fetch(`${server.url}/feeds/${FEED}/debian/upload`, { method: 'PUT', headers: { authorization: bearer(server.writeToken) }, body: await readFile(deb) });
    expect(response.status).toBe(201);
  }
});

afterAll(async () => {
  await server?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('debian indexes against dpkg-scanpackages', () => {
  it('renders the same stanzas, field order and hashes as dpkg-scanpackages -m', async () => {
    // Reference: the very files ferry serves, downloaded back into a flat directory.
    const flat = join(work, 'reference');
    await mkdir(flat, { recursive: true });
    const ours = new Map<string, Stanza>();
    for (const arch of ['amd64', 'arm64']) {
      for (const stanza of parseStanzas((await get(`dists/stable/main/binary-${arch}/Packages`)).toString('utf8'))) ours.set(key(stanza), stanza);
    }
    expect(ours.size).toBe(4);
    for (const stanza of ours.values()) {
      const filename = stanza.find(([n]) => n === 'Filename')?.[1] as string;
      expect(filename).toMatch(/^pool\/main\/[a-z0-9]+\/[a-z0-9][a-z0-9+.-]+\/[^/]+\.deb$/);
      await writeFile(join(flat, filename.split('/').pop() as string), await get(filename));
    }
    const { stdout } = await run('dpkg-scanpackages', ['-m', '.'], { cwd: flat });
    const reference = parseStanzas(stdout);
    expect(reference).toHaveLength(4);
    for (const expected of reference) {
      const actual = ours.get(key(expected));
      expect(actual, key(expected)).toBeDefined();
      const strip = (s: Stanza): Stanza => s.map(([n, v]) => [n, n === 'Filename' ? '' : v]);
      expect(strip(actual as Stanza)).toEqual(strip(expected));
    }
  });

  it('puts Architecture: all packages into every binary-<arch> index', async () => {
    const amd64 = (await get('dists/stable/main/binary-amd64/Packages')).toString('utf8');
    const arm64 = (await get('dists/stable/main/binary-arm64/Packages')).toString('utf8');
    expect(amd64).toContain('Version: 1.0-2');
    expect(arm64).toContain('Version: 1.0-2');
    expect(amd64).toContain('Package: libbeta2');
    expect(arm64).not.toContain('Package: libbeta2');
    expect(arm64).toContain('Package: gamma');
  });

  it('lists correct sizes and SHA256 of every index file in Release, and Packages.gz inflates to Packages', async () => {
    const release = (await get('dists/stable/Release')).toString('utf8');
    const sha = release.slice(release.indexOf('SHA256:')).split('\n').slice(1).filter((l) => l.startsWith(' '));
    expect(sha.length).toBe(4);
    for (const line of sha) {
      const [hash, size, path] = line.trim().split(/\s+/) as [string, string, string];
      const body = await get(`dists/stable/${path}`);
      expect(body.length).toBe(Number(size));
      expect(createHash('sha256').update(body).digest('hex')).toBe(hash);
    }
    const plain = await get('dists/stable/main/binary-amd64/Packages');
    expect(gunzipSync(await get('dists/stable/main/binary-amd64/Packages.gz')).equals(plain)).toBe(true);
    expect(release).toMatch(/^Origin: ferry\nLabel: deb-index\nSuite: stable\nCodename: stable\nDate: /);
  });

  it('signs Release (detached) and InRelease (clearsigned) with the key served at key.asc', async () => {
    const dir = join(work, 'gpgv');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'key.asc'), await get('key.asc'));
    await dearmor(join(dir, 'key.asc'), join(dir, 'key.gpg'));
    await writeFile(join(dir, 'Release'), await get('dists/stable/Release'));
    await writeFile(join(dir, 'Release.gpg'), await get('dists/stable/Release.gpg'));
    await writeFile(join(dir, 'InRelease'), await get('dists/stable/InRelease'));
    await run('gpgv', ['--keyring', join(dir, 'key.gpg'), join(dir, 'Release.gpg'), join(dir, 'Release')]);
    await run('gpgv', ['--keyring', join(dir, 'key.gpg'), join(dir, 'InRelease')]);
    const tampered = (await readFile(join(dir, 'Release'), 'utf8')).replace('Suite: stable', 'Suite: evil');
    await writeFile(join(dir, 'Release'), tampered);
    await expect(run('gpgv', ['--keyring', join(dir, 'key.gpg'), join(dir, 'Release.gpg'), join(dir, 'Release')])).rejects.toThrow();
  });

  it('publishes to another dist with ?dist= and keeps the dists apart', async () => {
    const deb = await buildDeb(join(work, 'other-dist'), { name: 'only-in-edge', version: '0.1' });
    const response = await fetch(`${server.url}/feeds/${FEED}/debian/upload?dist=edge-2026`, { method: 'PUT', headers: { authorization: bearer(server.writeToken) }, body: await readFile(deb) });
    expect(response.status).toBe(201);
    expect(((await response.json()) as { filename: string }).filename).toBe('pool/dists/edge-2026/main/o/only-in-edge/only-in-edge_0.1_all.deb');
    expect((await get('pool/dists/edge-2026/main/o/only-in-edge/only-in-edge_0.1_all.deb')).equals(await readFile(deb))).toBe(true);
    expect((await get('dists/edge-2026/main/binary-amd64/Packages')).toString('utf8')).toContain('Package: only-in-edge');
    expect((await get('dists/stable/main/binary-amd64/Packages')).toString('utf8')).not.toContain('only-in-edge');
    expect((await get('dists/edge-2026/Release')).toString('utf8')).toContain('Suite: edge-2026');
    const bad = await fetch(`${server.url}/feeds/${FEED}/debian/upload?dist=../x`, { method: 'PUT', headers: { authorization: bearer(server.writeToken) }, body: await readFile(deb) });
    expect(bad.status).toBe(400);
  });

  it('answers If-Modified-Since on Release files with 304 until the dist changes', async () => {
    const first = await fetch(`${server.url}/feeds/${FEED}/debian/dists/stable/InRelease`, { headers: { authorization: bearer(server.readToken) } });
    const lastModified = first.headers.get('last-modified') as string;
    expect(lastModified).toBeTruthy();
    const again = await fetch(`${server.url}/feeds/${FEED}/debian/dists/stable/InRelease`, { headers: { authorization: bearer(server.readToken), 'if-modified-since': lastModified } });
    expect(again.status).toBe(304);
    const deb = await buildDeb(join(work, 'ims'), { name: 'newer', version: '1.0' });
    expect((await fetch(`${server.url}/feeds/${FEED}/debian/upload`, { method: 'PUT', headers: { authorization: bearer(server.writeToken) }, body: await readFile(deb) })).status).toBe(201);
    const changed = await fetch(`${server.url}/feeds/${FEED}/debian/dists/stable/InRelease`, { headers: { authorization: bearer(server.readToken), 'if-modified-since': lastModified } });
    expect(changed.status).toBe(200);
    expect(await changed.text()).toContain('main/binary-amd64/Packages');
  });

  it('answers 404 for an unknown dist, architecture file or pool file', async () => {
    for (const path of ['dists/nope/Release', 'dists/stable/main/binary-amd64/Sources', 'pool/main/a/alpha/alpha_9_all.deb']) {
      const response = await fetch(`${server.url}/feeds/${FEED}/debian/${path}`, { headers: { authorization: bearer(server.readToken) } });
      expect(response.status, path).toBe(404);
    }
  });
});
