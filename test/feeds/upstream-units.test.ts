/**
 * The pieces of package upstream mirroring on their own: index parsing and its refusals, path
 * safety, checksum policy, OpenPGP verification, the HTTP fetcher's caps and checks, and
 * `mirrorDebian` against a real signed repository (request budget, bandwidth hook, resume,
 * insecureSkipVerify) with a real fs store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as openpgp from 'openpgp';
import { createFsStore, type Store } from '../../src/store/index.js';
import {
  createHttpFetcher, mirrorDebian, parsePrimary, parseRelease, parseRepomd, readStanzas, readVerificationKeys, safeRelativePath, verifyClearsigned, verifyDetached,
  type HttpFetcherOptions,
} from '../../src/feeds/upstream/index.js';
import { checksumOf, streamPrimary } from '../../src/feeds/upstream/rpm-index.js';
import { forEachLimited } from '../../src/feeds/upstream/mirror.js';
import { packageSelector, upstreamVersionPart } from '../../src/replicate/job-upstream-packages.js';
import { buildDeb } from './debian-fixtures.js';
import { createGpgKey, publishDebianRepo, serveStatic, tempDir, type GpgKey, type StaticServer } from './upstream-fixtures.js';

async function* chunked(buffers: Buffer[]): AsyncGenerator<Buffer> {
  yield* buffers;
}

const codeOf = async (p: Promise<unknown> | (() => unknown)): Promise<string | undefined> => {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
};

describe('index parsing and policy', () => {
  it('parses the SHA256 section of a Release and refuses an expired or hashless one', async () => {
    const ok = parseRelease('Suite: stable\nComponents: main\nArchitectures: amd64 arm64\nSHA256:\n ' + 'a'.repeat(64) + '  123 main/binary-amd64/Packages.gz\n');
    expect(ok.files.get('main/binary-amd64/Packages.gz')).toEqual({ sha256: 'a'.repeat(64), size: 123 });
    expect(ok.architectures).toEqual(['amd64', 'arm64']);
    expect(await codeOf(() => parseRelease('Suite: stable\nMD5Sum:\n x 1 y\n'))).toBe('UPSTREAM_INDEX_INVALID');
    expect(await codeOf(() => parseRelease(`Valid-Until: Sat, 01 Jan 2000 00:00:00 UTC\nSHA256:\n ${'a'.repeat(64)} 1 x\n`))).toBe('UPSTREAM_INDEX_INVALID');
  });

  it.each(['../etc/passwd', '/etc/passwd', 'pool//x.deb', 'pool/../../x', 'pool/./x', 'pool\\x.deb', 'http://evil/x'])('refuses the unsafe path %s', async (path) => {
    expect(await codeOf(() => safeRelativePath(path))).toBe('UPSTREAM_INDEX_INVALID');
  });

  it('accepts pool paths', () => {
    expect(safeRelativePath('pool/main/libc/libc6_2.36-9+deb12u4_amd64.deb')).toBe('pool/main/libc/libc6_2.36-9+deb12u4_amd64.deb');
  });

  it('reads stanzas split across chunks, and refuses an oversized one', async () => {
    const text = 'Package: a\nVersion: 1\n\nPackage: b\nDescription: x\n more\n\n\nPackage: c\n';
    const chunks = [...text].map((c) => Buffer.from(c));
    const names: string[] = [];
    for await (const s of readStanzas(chunked(chunks), { maxBytes: 1000 })) names.push(s[0]![1]);
    expect(names).toEqual(['a', 'b', 'c']);
    const big = [Buffer.from(`Package: a\nDescription: ${'x'.repeat(200)}\n`)];
    expect(await codeOf((async () => { for await (const _ of readStanzas(chunked(big), { maxBytes: 1000, maxStanzaBytes: 100 })) void _; })())).toBe('UPSTREAM_INDEX_INVALID');
    expect(await codeOf((async () => { for await (const _ of readStanzas(chunked(big), { maxBytes: 50 })) void _; })())).toBe('UPSTREAM_TOO_LARGE');
  });

  it('checksum policy: sha256/sha512 as given, sha1 marked weak, md5 refused', async () => {
    expect(checksumOf({ '@_type': 'sha256', '#text': 'b'.repeat(64) }, 'x')).toMatchObject({ algorithm: 'sha256', weak: false });
    expect(checksumOf({ '@_type': 'sha', '#text': 'b'.repeat(40) }, 'x')).toMatchObject({ algorithm: 'sha1', weak: true });
    expect(await codeOf(() => checksumOf({ '@_type': 'md5', '#text': 'b'.repeat(32) }, 'x'))).toBe('UPSTREAM_WEAK_CHECKSUM');
    expect(await codeOf(() => checksumOf({ '@_type': 'sha256', '#text': 'zz' }, 'x'))).toBe('UPSTREAM_INDEX_INVALID');
  });

  it('refuses repository XML with a DOCTYPE, and reads primary entries', async () => {
    expect(await codeOf(() => parseRepomd('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><repomd/>'))).toBe('UPSTREAM_INDEX_INVALID');
    expect(await codeOf(() => parseRepomd('<repomd><data type="other"/></repomd>'))).toBe('UPSTREAM_INDEX_MISSING');
    const { packages, invalid } = await parsePrimary(`<metadata><package type="rpm"><name>a</name><arch>noarch</arch><version epoch="1" ver="2.0" rel="3"/>
      <checksum type="sha256" pkgid="YES">${'c'.repeat(64)}</checksum><size package="10"/><location href="Packages/a.rpm"/></package>
      <package type="rpm"><name>b</name></package></metadata>`);
    expect(packages).toEqual([{ name: 'a', arch: 'noarch', epoch: 1, ver: '2.0', rel: '3', href: 'Packages/a.rpm', size: 10, checksum: { algorithm: 'sha256', hex: 'c'.repeat(64), weak: false } }]);
    expect(invalid).toBe(1);
    expect(await codeOf(parsePrimary('<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x "y">]><metadata><package type="rpm"></package></metadata>'))).toBe('UPSTREAM_INDEX_INVALID');
  });

  it('streams primary.xml one package element at a time, across chunk boundaries', async () => {
    const entry = (n: number): string => `<package type="rpm"><name>p${n}</name><arch>noarch</arch><version epoch="0" ver="1.${n}" rel="1"/><checksum type="sha256" pkgid="YES">${'d'.repeat(64)}</checksum><location href="Packages/p${n}.rpm"/></package>\n`;
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<metadata xmlns="http://linux.duke.edu/metadata/common" packages="50">\n${Array.from({ length: 50 }, (_, i) => entry(i)).join('')}</metadata>\n`;
    const bytes = Buffer.from(xml);
    const pieces = Array.from({ length: Math.ceil(bytes.length / 97) }, (_, i) => bytes.subarray(i * 97, (i + 1) * 97));
    const names: string[] = [];
    for await (const p of streamPrimary(pieces, { maxBytes: bytes.length })) names.push(p!.name);
    expect(names).toEqual(Array.from({ length: 50 }, (_, i) => `p${i}`));
    expect(await codeOf((async () => { for await (const _ of streamPrimary(pieces, { maxBytes: 1000 })) void _; })())).toBe('UPSTREAM_TOO_LARGE');
    expect(await codeOf((async () => { for await (const _ of streamPrimary(pieces, { maxBytes: bytes.length, maxPackageBytes: 100 })) void _; })())).toBe('UPSTREAM_INDEX_INVALID');
  });

  it('filters: names by glob, versions by glob, semver on the upstream part', () => {
    expect(upstreamVersionPart('1:2.4.1-3')).toBe('2.4.1');
    expect(upstreamVersionPart('2.4-1')).toBe('2.4.0');
    const select = packageSelector({ include: ['lib*'], exclude: ['*-dbg'], semver: '>=2.0.0' });
    expect(select('libfoo', '2.1-1')).toBe(true);
    expect(select('libfoo', '1.9-1')).toBe(false);
    expect(select('libfoo-dbg', '2.1-1')).toBe(false);
    expect(select('bar', '2.1-1')).toBe(false);
    expect(select('libfoo', '2.1~rc1+weird-1')).toBe(false); // does not parse as semver
    expect(packageSelector({ tags: ['1.*'] })('x', '2.0-1')).toBe(false);
  });
});

describe('forEachLimited', () => {
  it('keeps at most `limit` in flight, stops starting on the first failure, and waits for the rest', async () => {
    let inFlight = 0;
    let peak = 0;
    const done: number[] = [];
    const failing = forEachLimited([1, 2, 3, 4, 5, 6, 7, 8], 3, () => true, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, n === 2 ? 5 : 30));
      inFlight--;
      if (n === 2) throw Object.assign(new Error('boom'), { code: 'BOOM' });
      done.push(n);
    });
    expect(await codeOf(failing)).toBe('BOOM');
    expect(peak).toBe(3);
    expect(inFlight).toBe(0);
    expect(done.sort()).toEqual([1, 3]); // 2 failed first: 4..8 never started, 1 and 3 finished
  });

  it('reports false when spend() says no', async () => {
    let budget = 2;
    const seen: number[] = [];
    expect(await forEachLimited([1, 2, 3], 1, () => budget-- > 0, async (n) => void seen.push(n))).toBe(false);
    expect(seen).toEqual([1, 2]);
  });
});

describe('OpenPGP verification', () => {
  let key: openpgp.PrivateKey;
  let other: openpgp.PrivateKey;
  beforeAll(async () => {
    key = (await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'a' }], format: 'object' })).privateKey;
    other = (await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'b' }], format: 'object' })).privateKey;
  });

  it('returns the signed text of a clearsigned document, refuses tampering and other keys', async () => {
    const keys = await readVerificationKeys(key.toPublic().armor());
    const signed = await openpgp.sign({ message: await openpgp.createCleartextMessage({ text: 'Suite: stable\nSHA256:\n x\n' }), signingKeys: key });
    expect(await verifyClearsigned(signed, keys, 'InRelease')).toContain('Suite: stable');
    expect(await codeOf(verifyClearsigned(signed.replace('Suite: stable', 'Suite: evil!'), keys, 'InRelease'))).toBe('UPSTREAM_SIGNATURE_INVALID');
    expect(await codeOf(verifyClearsigned(signed, await readVerificationKeys(other.toPublic().armor()), 'InRelease'))).toBe('UPSTREAM_SIGNATURE_INVALID');
    expect(await codeOf(verifyClearsigned('Suite: stable\n', keys, 'InRelease'))).toBe('UPSTREAM_SIGNATURE_INVALID');
  });

  it('verifies detached signatures over exact bytes (armored and binary)', async () => {
    const keys = await readVerificationKeys(key.toPublic().armor());
    const data = Buffer.from('<repomd/>\n');
    const message = await openpgp.createMessage({ binary: new Uint8Array(data) });
    const armored = await openpgp.sign({ message, signingKeys: key, detached: true, format: 'armored' });
    const binary = await openpgp.sign({ message, signingKeys: key, detached: true, format: 'binary' });
    await verifyDetached(data, Buffer.from(armored), keys, 'repomd.xml');
    await verifyDetached(data, Buffer.from(binary), keys, 'repomd.xml');
    expect(await codeOf(verifyDetached(Buffer.from('<repomd/> \n'), Buffer.from(armored), keys, 'repomd.xml'))).toBe('UPSTREAM_SIGNATURE_INVALID');
  });

  it('takes several armored key blocks in one signedBy (key rotation)', async () => {
    const both = await readVerificationKeys(`${other.toPublic().armor()}\n${key.toPublic().armor()}`);
    expect(both).toHaveLength(2);
    const signed = await openpgp.sign({ message: await openpgp.createCleartextMessage({ text: 'Suite: stable\n' }), signingKeys: key });
    expect(await verifyClearsigned(signed, both, 'InRelease')).toContain('Suite: stable');
  });

  it('refuses a signedBy that holds no key', async () => {
    expect(await codeOf(readVerificationKeys('not a key'))).toBe('UPSTREAM_KEY_INVALID');
  });
});

describe('HTTP fetcher on a stalled link', () => {
  let server: Server;
  let base: string;
  let work: string;
  beforeAll(async () => {
    work = await tempDir('ferry-upstream-stall-');
    // A real server that stalls: /headers never answers, /body sends 10 of 100 bytes and stops.
    server = createServer((req, res) => {
      if (req.url === '/body') {
        res.writeHead(200, { 'content-length': '100' });
        res.write(Buffer.alloc(10));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(work, { recursive: true, force: true });
  });

  it.each(['headers', 'body'])('a request stalled in its %s fails as a timeout, quickly, leaving no temp file', async (path) => {
    const seen: unknown[] = [];
    const fetcher = createHttpFetcher({
      baseUrl: base, idleTimeoutMs: 300,
      explainStatus: (status) => Object.assign(new Error(`status ${status}`), { code: `HTTP_${status}` }),
      explainNetwork: (err) => { seen.push(err); return Object.assign(new Error('network'), { code: 'NETWORK' }); },
    });
    const started = Date.now();
    expect(await codeOf(fetcher.download(path, { tmpDir: work, maxBytes: 1000 }))).toBe('NETWORK');
    expect(await codeOf(fetcher.getSmall(path, { maxBytes: 1000 }))).toBe('NETWORK');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(seen.map((e) => (e as { code?: string }).code)).toEqual(['ETIMEDOUT', 'ETIMEDOUT']);
    expect(await readdir(work)).toEqual([]);
  });
});

describe('mirrorDebian against a real signed repository', () => {
  let work: string;
  let root: string;
  let server: StaticServer;
  let gpg: GpgKey;
  let intruder: GpgKey;
  const stores: Store[] = [];

  const fetcherOptions = (path: string, extra: Partial<HttpFetcherOptions> = {}): HttpFetcherOptions => ({
    baseUrl: `${server.url}/${path}`,
    explainStatus: (status) => Object.assign(new Error(`status ${status}`), { code: `HTTP_${status}` }),
    explainNetwork: (err) => err as Error,
    ...extra,
  });
  const newStore = async (): Promise<Store> => {
    const store = await createFsStore({ dir: join(work, `store-${stores.length}`) });
    stores.push(store);
    await store.feedEnsure('debs', 'debian');
    return store;
  };
  const deps = (store: Store, fetcher: ReturnType<typeof createHttpFetcher>, notes: string[] = []) => ({
    store, fetcher, tmpDir: join(work, 'tmp'), origin: 'replication:test', note: (l: string) => void notes.push(l), count: () => undefined,
  });
  const options = (keys: Awaited<ReturnType<typeof readVerificationKeys>> | undefined) => ({ feed: 'debs', keys, distributions: ['stable'], select: () => true });

  beforeAll(async () => {
    work = await tempDir('ferry-upstream-units-');
    root = join(work, 'www');
    await mkdir(join(work, 'tmp'), { recursive: true });
    gpg = await createGpgKey(work, 'archive');
    intruder = await createGpgKey(work, 'intruder');
    const build = join(work, 'build');
    await mkdir(build, { recursive: true });
    for (const dir of ['repo', 'other', 'xz']) await mkdir(join(root, dir, 'pool/main'), { recursive: true });
    for (const v of ['1.0-1', '1.1-1', '1.2-1']) {
      const deb = await buildDeb(build, { name: 'unit-pkg', version: v });
      await copyFile(deb, join(root, 'repo/pool/main', deb.split('/').pop()!));
      await copyFile(deb, join(root, 'other/pool/main', deb.split('/').pop()!));
      await copyFile(deb, join(root, 'xz/pool/main', deb.split('/').pop()!));
    }
    await publishDebianRepo(join(root, 'xz'), gpg, { xzOnly: true });
    await publishDebianRepo(join(root, 'repo'), gpg);
    await publishDebianRepo(join(root, 'other'), intruder);
    server = await serveStatic(root);
  }, 60_000);
  afterAll(async () => {
    for (const s of stores) await s.close();
    await server?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('stops at the request budget without inferring deletes, and the next run resumes', async () => {
    const store = await newStore();
    const keys = await readVerificationKeys(gpg.publicKey);
    const first = await mirrorDebian(deps(store, createHttpFetcher(fetcherOptions('repo', { budget: 3 }))), options(keys));
    expect(first).toMatchObject({ imported: 1, complete: false });
    expect(first.listed.size).toBe(3);
    const second = await mirrorDebian(deps(store, createHttpFetcher(fetcherOptions('repo'))), options(keys));
    expect(second).toMatchObject({ imported: 2, complete: true });
    expect((await store.tagRecords({ feed: 'debs' })).map((t) => t.origin)).toEqual(['replication:test', 'replication:test', 'replication:test']);
  });

  it('every downloaded byte passes the bandwidth hook; temp files are removed', async () => {
    const store = await newStore();
    let paced = 0;
    const fetcher = createHttpFetcher(fetcherOptions('repo', { take: async (n) => void (paced += n) }));
    const result = await mirrorDebian(deps(store, fetcher), options(await readVerificationKeys(gpg.publicKey)));
    const files = await readdir(join(root, 'repo/pool/main'));
    let poolBytes = 0;
    for (const f of files) poolBytes += (await readFile(join(root, 'repo/pool/main', f))).length;
    expect(result.bytes).toBe(poolBytes);
    expect(paced).toBeGreaterThan(poolBytes); // pool files + InRelease + Packages.gz
    expect(await readdir(join(work, 'tmp'))).toEqual([]);
  });

  it('a Release signed by another key is refused; with no keys (insecureSkipVerify) it is taken', async () => {
    const store = await newStore();
    const refused = await codeOf(mirrorDebian(deps(store, createHttpFetcher(fetcherOptions('other'))), options(await readVerificationKeys(gpg.publicKey))));
    expect(refused).toBe('UPSTREAM_SIGNATURE_INVALID');
    expect(await store.tagRecords({ feed: 'debs' })).toEqual([]);
    const taken = await mirrorDebian(deps(store, createHttpFetcher(fetcherOptions('other'))), options(undefined));
    expect(taken.imported).toBe(3);
  });

  it('reads a Packages.xz index when that is all the Release lists', async () => {
    const store = await newStore();
    const result = await mirrorDebian(deps(store, createHttpFetcher(fetcherOptions('xz'))), options(await readVerificationKeys(gpg.publicKey)));
    expect(result).toMatchObject({ imported: 3, complete: true });
    expect(server.requests).toContain('/xz/dists/stable/main/binary-amd64/Packages.xz');
  });

  it('a missing dist is explained through explainStatus (404)', async () => {
    const store = await newStore();
    const code = await codeOf(mirrorDebian(deps(store, createHttpFetcher(fetcherOptions('repo'))), { ...options(undefined), distributions: ['nope'] }));
    expect(code).toBe('UPSTREAM_INDEX_MISSING');
  });
});
