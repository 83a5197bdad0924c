/**
 * Debian format code without a server: policy checks on names and versions, the control parser
 * (field order, continuation lines, duplicates), bounded decompression (bombs) and parseDeb on
 * real .debs built with dpkg-deb in every compression dpkg-deb offers.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isValidPackageName, isValidVersion, parseControl, parseDeb, renderStanza } from '../../src/feeds/debian/index.js';
import { decompress } from '../../src/feeds/debian/decompress.js';
import { isFerryError } from '../../src/errors/index.js';
import { buildDeb, run } from './debian-fixtures.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-deb-parse-'));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('Debian policy', () => {
  it.each(['hello', 'g++', 'lib32z1', 'python3.11', 'a0'])('accepts package name %j', (name) => expect(isValidPackageName(name)).toBe(true));
  it.each(['A', 'a', '-a', 'a_b', 'Hello', 'a b', '../x', ''])('refuses package name %j', (name) => expect(isValidPackageName(name)).toBe(false));
  it.each(['1.0', '1:2.3-4', '2.0~rc1+dfsg-0.1', '1.0-2-3', '0', '20261126'])('accepts version %j', (v) => expect(isValidVersion(v)).toBe(true));
  it.each(['v1', '1.0-', '1:', ':1', '1_0', '', '1.0 2', 'a:1.0', '1.0-r/1'])('refuses version %j', (v) => expect(isValidVersion(v)).toBe(false));
});

describe('control file', () => {
  it('keeps field order and continuation lines', () => {
    const fields = parseControl('Package: x\nVersion: 1\nX-Zed: z\nDescription: short\n long\n .\n more\n');
    expect(fields).toEqual([['Package', 'x'], ['Version', '1'], ['X-Zed', 'z'], ['Description', 'short\n long\n .\n more']]);
  });

  it('refuses duplicate fields and junk lines', () => {
    expect(() => parseControl('Package: x\npackage: y\n')).toThrow(expect.objectContaining({ code: 'FEED_INVALID_PACKAGE' }));
    expect(() => parseControl('not a field line\n')).toThrow(expect.objectContaining({ code: 'FEED_INVALID_PACKAGE' }));
    expect(() => parseControl(' continuation first\n')).toThrow(expect.objectContaining({ code: 'FEED_INVALID_PACKAGE' }));
  });

  it('never lets a control file supply its own Filename or hashes in the index', () => {
    const stanza = renderStanza([['Package', 'x'], ['SHA256', 'forged'], ['Filename', '../../etc/passwd'], ['Version', '1']], { filename: 'pool/main/x/x/x_1_all.deb', size: 1, md5: 'm', sha1: 's', sha256: 'h' });
    expect(stanza).toBe('Package: x\nVersion: 1\nFilename: pool/main/x/x/x_1_all.deb\nSize: 1\nMD5sum: m\nSHA1: s\nSHA256: h\n\n');
  });
});

describe('bounded decompression', () => {
  it('refuses a gzip bomb past the cap', async () => {
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(100_000);
    await expect(decompress('gzip', bomb, 1024 * 1024)).rejects.toSatisfy((e: unknown) => isFerryError(e, 'FEED_INVALID_PACKAGE'));
  });

  it.each(['xz', 'zstd'] as const)('refuses a %s bomb past the cap', async (kind) => {
    const raw = join(work, `zeros-${kind}`);
    await run('sh', ['-c', `head -c 8388608 /dev/zero > ${raw} && ${kind === 'xz' ? 'xz -k' : 'zstd -q'} ${raw}`]);
    const packed = await readFile(`${raw}.${kind === 'xz' ? 'xz' : 'zst'}`);
    await expect(decompress(kind, packed, 1024 * 1024)).rejects.toSatisfy((e: unknown) => isFerryError(e, 'FEED_INVALID_PACKAGE'));
    expect((await decompress(kind, packed, 16 * 1024 * 1024)).length).toBe(8388608);
  });

  it('refuses corrupt compressed data', async () => {
    await expect(decompress('gzip', Buffer.from('not gzip'), 1024)).rejects.toSatisfy((e: unknown) => isFerryError(e, 'FEED_INVALID_PACKAGE'));
    await expect(decompress('xz', Buffer.from('not xz at all'), 1024)).rejects.toSatisfy((e: unknown) => isFerryError(e, 'FEED_INVALID_PACKAGE'));
  });
});

describe('parseDeb', () => {
  it.each(['xz', 'gzip', 'zstd', 'none'] as const)('reads a dpkg-deb -Z%s package', async (compression) => {
    const deb = await buildDeb(join(work, compression), { name: 'parse-me', version: '1:2.0-1', arch: 'arm64', compression, depends: 'libc6 (>= 2.36)' });
    const parsed = await parseDeb(deb);
    expect(parsed).toMatchObject({ name: 'parse-me', version: '1:2.0-1', architecture: 'arm64', controlMember: compression === 'none' ? 'control.tar' : `control.tar.${{ xz: 'xz', gzip: 'gz', zstd: 'zst' }[compression]}` });
    expect(parsed.control.map(([n]) => n)).toEqual(['Package', 'Version', 'Section', 'Priority', 'Architecture', 'Maintainer', 'Depends', 'Description']);
  });
});
