/**
 * RPM parsing and repodata rendering against the real tools: RPMs built by rpmbuild and signed
 * by rpmsign, repodata compared with what createrepo_c writes for the same files.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFerryError } from '../../src/errors/index.js';
import { inspectRpm, readRpmHeaders, renderPackage, type RpmPackageMeta } from '../../src/feeds/rpm/index.js';
import { createRpmWorkspace, createrepoReference, type RpmWorkspace } from './rpm-fixtures.js';

let ws: RpmWorkspace;
let hello: string;
let epochPkg: string;
let sourcePkg: string;

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function inspectFile(path: string): Promise<RpmPackageMeta> {
  return inspectRpm(path, sha256(await readFile(path)));
}

/** `<package …>…</package>` blocks of a repodata XML document, by package name. */
function packages(xml: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of xml.matchAll(/<package [^>]*>[\s\S]*?<\/package>\n/g)) {
    const name = /<name>([^<]+)<\/name>/.exec(m[0])?.[1] ?? /name="([^"]+)"/.exec(m[0])?.[1];
    out.set(name ?? '?', m[0]);
  }
  return out;
}

beforeAll(async () => {
  ws = await createRpmWorkspace();
  hello = await ws.build({ name: 'ferry-hello', version: '1.2.3', requires: ['/bin/sh', 'coreutils >= 8.0'], provides: ['hello-virtual = 2.0'] });
  epochPkg = await ws.build({ name: 'ferry-epoch', version: '2.0~rc1', release: '3', epoch: 4, requires: ['ferry-hello = 1.2.3-1'] });
  sourcePkg = await ws.build({ name: 'ferry-src', version: '0.1', source: true });
}, 60_000);

afterAll(async () => {
  await ws?.cleanup();
});

describe('inspectRpm', () => {
  it('reads the NEVRA, dependencies, files and changelog of a signed rpm', async () => {
    const meta = await inspectFile(epochPkg);
    expect(meta).toMatchObject({ name: 'ferry-epoch', epoch: 4, version: '2.0~rc1', release: '3', arch: 'noarch', fileName: 'ferry-epoch-2.0~rc1-3.noarch.rpm' });
    expect(meta.requires).toContainEqual({ name: 'ferry-hello', flags: 'EQ', epoch: '0', ver: '1.2.3', rel: '1' });
    expect(meta.provides).toContainEqual({ name: 'ferry-epoch', flags: 'EQ', epoch: '4', ver: '2.0~rc1', rel: '3' });
    expect(meta.files.map((f) => f.path)).toContain('/usr/bin/ferry-epoch');
    expect(meta.files).toContainEqual({ path: '/etc/ferry-epoch', type: 'dir' });
    expect(meta.changelog[0]?.text).toBe('- first release');
    const headers = await readRpmHeaders(epochPkg);
    expect(meta.headerRange).toEqual({ start: headers.headerStart, end: headers.headerEnd });
  });

  it('names source packages .src.rpm with arch src', async () => {
    expect(await inspectFile(sourcePkg)).toMatchObject({ name: 'ferry-src', arch: 'src', fileName: 'ferry-src-0.1-1.src.rpm', sourceRpm: '' });
  });

  it('renders primary, filelists and other exactly as createrepo_c does', async () => {
    const ref = await createrepoReference([hello, epochPkg, sourcePkg], ws.dir);
    for (const path of [hello, epochPkg, sourcePkg]) {
      const meta = await inspectFile(path);
      const fileTime = /<time file="(\d+)"/.exec(packages(ref.primary).get(meta.name) ?? '')?.[1];
      const ours = renderPackage(meta, `Packages/${meta.fileName}`, Number(fileTime));
      expect(ours.primary).toBe(packages(ref.primary).get(meta.name));
      expect(ours.filelists).toBe(packages(ref.filelists).get(meta.name));
      expect(ours.other).toBe(packages(ref.other).get(meta.name));
    }
  });
});

describe('inspectRpm refuses bad input', () => {
  async function variant(name: string, mutate: (b: Buffer) => Buffer): Promise<string> {
    const path = join(ws.dir, name);
    await writeFile(path, mutate(Buffer.from(await readFile(hello))));
    return path;
  }

  /** Rewrites `from` to `to` (same length) in the main header and fixes the header SHA256 in the signature. */
  async function patchedHeader(from: string, to: string): Promise<(b: Buffer) => Buffer> {
    const h = await readRpmHeaders(hello);
    return (b) => {
      const header = Buffer.from(b.subarray(h.headerStart, h.headerEnd));
      const at = header.indexOf(`${from}\0`);
      header.write(to, at, 'utf8');
      header.copy(b, h.headerStart);
      const oldSha = sha256(h.headerBytes);
      const sigAt = b.indexOf(oldSha, 0, 'latin1');
      b.write(sha256(header), sigAt, 'latin1');
      return b;
    };
  }

  it.each([
    ['wrong lead magic', 'FEED_INVALID_PACKAGE', async () => (b: Buffer) => (b.writeUInt8(0, 0), b)],
    ['truncated inside the header', 'FEED_INVALID_PACKAGE', async () => (b: Buffer) => b.subarray(0, 2000)],
    ['truncated inside the payload', 'FEED_INVALID_PACKAGE', async () => (b: Buffer) => b.subarray(0, b.length - 10)],
    ['shorter than the lead', 'FEED_INVALID_PACKAGE', async () => (b: Buffer) => b.subarray(0, 50)],
    ['a flipped header byte', 'FEED_INVALID_PACKAGE', async () => {
      const h = await readRpmHeaders(hello);
      return (b: Buffer) => (b.writeUInt8(b.readUInt8(h.headerEnd - 3) ^ 0xff, h.headerEnd - 3), b);
    }],
    ['a flipped payload byte', 'FEED_INVALID_PACKAGE', async () => (b: Buffer) => (b.writeUInt8(b.readUInt8(b.length - 5) ^ 0xff, b.length - 5), b)],
    ['a name with a slash', 'FEED_INVALID_NAME', () => patchedHeader('ferry-hello', 'ferry/hello')],
    ['a version with a dash', 'FEED_INVALID_VERSION', () => patchedHeader('1.2.3', '1-2.3')],
  ])('%s → %s', async (label, code, mutator) => {
    const path = await variant(`bad-${label.replace(/\W+/g, '-')}.rpm`, await mutator());
    const err = await inspectFile(path).catch((e: unknown) => e);
    expect(isFerryError(err) ? err.code : err).toBe(code);
  });
});
