/**
 * The chocolatey view's format code: NuGet id/version rules, the OData `$filter`/`$orderby`
 * subset, and the .nupkg reader against hostile archives (zip bomb, traversal, lying sizes,
 * missing or hostile nuspec).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFerryError } from '../../src/errors/index.js';
import {
  compareNuGetVersions,
  compileFilter,
  compileOrderBy,
  inspectNupkg,
  isSafeEntryName,
  isValidPackageId,
  normalizeNuGetVersion,
  parseNuGetVersion,
} from '../../src/feeds/chocolatey/index.js';
import { makeNupkg, makeZip, nuspec } from './chocolatey-fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-choco-format-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('NuGet ids and versions', () => {
  it.each([
    ['Ferry.Hello', true],
    ['git', true],
    ['my_pkg-2', true],
    ['../evil', false],
    ['a b', false],
    ['.hidden', false],
    ['x'.repeat(101), false],
  ])('id %s valid: %s', (id, ok) => {
    expect(isValidPackageId(id)).toBe(ok);
  });

  it.each([
    ['1.0', '1.0.0'],
    ['01.002.3', '1.2.3'],
    ['1.2.3.0', '1.2.3'],
    ['1.2.3.4', '1.2.3.4'],
    ['1.0.0-Beta.1+sha.abc', '1.0.0-Beta.1'],
    ['1.0.0.0-rc', '1.0.0-rc'],
    ['v1.0', undefined],
    ['1.0.0-', undefined],
    ['1..0', undefined],
    ['1.2.3.4.5', undefined],
  ])('normalize %s → %s', (text, normalized) => {
    expect(normalizeNuGetVersion(text)).toBe(normalized);
  });

  it('orders versions by NuGet precedence', () => {
    const sorted = ['1.10.0', '1.9.0', '1.0.0-beta.2', '1.0.0-beta.10', '1.0.0', '1.0.0-alpha', '2.0.0.1']
      .map((v) => parseNuGetVersion(v)!)
      .sort(compareNuGetVersions)
      .map((v) => v.original);
    expect(sorted).toEqual(['1.0.0-alpha', '1.0.0-beta.2', '1.0.0-beta.10', '1.0.0', '1.9.0', '1.10.0', '2.0.0.1']);
  });
});

describe('OData $filter and $orderby', () => {
  const props = new Set(['Id', 'Version', 'IsLatestVersion', 'IsAbsoluteLatestVersion', 'IsPrerelease', 'DownloadCount', 'Title']);
  const rows = [
    { Id: 'Git', Version: '2.10.0', IsLatestVersion: true, IsAbsoluteLatestVersion: false, IsPrerelease: false, DownloadCount: 5, Title: 'Git' },
    { Id: 'Git', Version: '2.9.0', IsLatestVersion: false, IsAbsoluteLatestVersion: false, IsPrerelease: false, DownloadCount: 7, Title: 'Git' },
    { Id: 'Git', Version: '3.0.0-rc', IsLatestVersion: false, IsAbsoluteLatestVersion: true, IsPrerelease: true, DownloadCount: 1, Title: 'Git' },
    { Id: 'vim', Version: '9.0', IsLatestVersion: true, IsAbsoluteLatestVersion: true, IsPrerelease: false, DownloadCount: 3, Title: "Vim's editor" },
  ];
  const ids = (filter: string): string[] => rows.filter(compileFilter(filter, props)).map((r) => `${r.Id}@${r.Version}`);

  it.each([
    ['IsLatestVersion', ['Git@2.10.0', 'vim@9.0']],
    ['IsAbsoluteLatestVersion', ['Git@3.0.0-rc', 'vim@9.0']],
    ["tolower(Id) eq 'git'", ['Git@2.10.0', 'Git@2.9.0', 'Git@3.0.0-rc']],
    ["(tolower(Id) eq 'git') and IsLatestVersion", ['Git@2.10.0']],
    ["Id eq 'Git' and Version eq '2.9.0'", ['Git@2.9.0']],
    ["not IsPrerelease and substringof('vi', tolower(Id))", ['vim@9.0']],
    ["startswith(tolower(Id), 'gi') or Title eq 'Vim''s editor'", ['Git@2.10.0', 'Git@2.9.0', 'Git@3.0.0-rc', 'vim@9.0']],
    ['DownloadCount gt 4', ['Git@2.10.0', 'Git@2.9.0']],
    ["indexof(tolower(Id), 'im') ne -1", ['vim@9.0']],
  ])('%s', (filter, expected) => {
    expect(ids(filter)).toEqual(expected);
  });

  it.each([["Secret eq 'x'"], ["eval('x')"], ['IsLatestVersion and'], ["Id eq 'unterminated"], ['('.repeat(50) + 'IsLatestVersion' + ')'.repeat(50)]])(
    'refuses %s with FEED_INVALID_REQUEST',
    (filter) => {
      let code: string | undefined;
      try {
        compileFilter(filter, props);
      } catch (err) {
        code = isFerryError(err) ? err.code : String(err);
      }
      expect(code).toBe('FEED_INVALID_REQUEST');
    },
  );

  it('orders by version precedence and by several keys', () => {
    const byVersion = [...rows].filter((r) => r.Id === 'Git').sort(compileOrderBy('Version desc', props)!);
    expect(byVersion.map((r) => r.Version)).toEqual(['3.0.0-rc', '2.10.0', '2.9.0']);
    const multi = [...rows].sort(compileOrderBy('IsPrerelease, DownloadCount desc', props)!);
    expect(multi.map((r) => r.DownloadCount)).toEqual([7, 5, 3, 1]);
  });
});

describe('inspectNupkg', () => {
  async function inspect(name: string, data: Buffer): Promise<unknown> {
    const path = join(dir, name);
    await writeFile(path, data);
    return inspectNupkg(path, data.length).catch((e: unknown) => e);
  }

  it('reads the nuspec of a valid package', async () => {
    const meta = await inspect('ok.nupkg', makeNupkg({ id: 'Ferry.Hello', version: '1.02.3.0', dependencies: [{ id: 'Ferry.Base', version: '[1.0,2.0)' }] }));
    expect(meta).toMatchObject({
      id: 'Ferry.Hello',
      version: '1.02.3.0',
      normalizedVersion: '1.2.3',
      isPrerelease: false,
      description: 'The Ferry.Hello package & friends',
      dependencies: 'Ferry.Base:[1.0,2.0):',
    });
    expect((meta as { packageHash: string }).packageHash).toMatch(/^[A-Za-z0-9+/]{86}==$/);
  });

  it('accepts directory and empty entries', async () => {
    const meta = await inspect('dirs.nupkg', makeNupkg({ id: 'Dirs', version: '1.0.0' }, [
      { name: 'lib/', data: Buffer.alloc(0), method: 0 },
      { name: 'lib/empty.txt', data: Buffer.alloc(0) },
    ]));
    expect(meta).toMatchObject({ id: 'Dirs' });
  });

  const spec = Buffer.from(nuspec({ id: 'Bad.Pkg', version: '1.0.0' }));
  it.each([
    ['a zip bomb (1 GiB of zeros declared)', 'FEED_INVALID_PACKAGE', 'compression ratio too high', () => makeZip([{ name: 'Bad.Pkg.nuspec', data: spec }, { name: 'bomb.bin', data: Buffer.alloc(8 * 1024 * 1024), declaredSize: 1024 ** 3 }])],
    ['an entry inflating beyond its declared size', 'FEED_INVALID_PACKAGE', 'entry larger than declared', () => makeZip([{ name: 'Bad.Pkg.nuspec', data: spec }, { name: 'lie.bin', data: Buffer.alloc(4 * 1024 * 1024), declaredSize: 1024 }])],
    ['a highly compressible large entry', 'FEED_INVALID_PACKAGE', 'compression ratio too high', () => makeZip([{ name: 'Bad.Pkg.nuspec', data: spec }, { name: 'zeros.bin', data: Buffer.alloc(64 * 1024 * 1024) }])],
    ['a ../ entry', 'FEED_INVALID_PACKAGE', 'unsafe entry name', () => makeZip([{ name: 'Bad.Pkg.nuspec', data: spec }, { name: 'tools/../../evil.ps1', data: Buffer.from('x') }])],
    ['an absolute entry', 'FEED_INVALID_PACKAGE', 'unsafe entry name', () => makeZip([{ name: 'Bad.Pkg.nuspec', data: spec }, { name: '/etc/evil', data: Buffer.from('x') }])],
    ['a backslash entry', 'FEED_INVALID_PACKAGE', 'unsafe entry name', () => makeZip([{ name: 'Bad.Pkg.nuspec', data: spec }, { name: '..\\evil.ps1', data: Buffer.from('x') }])],
    ['no nuspec', 'FEED_INVALID_PACKAGE', 'no .nuspec at the root', () => makeZip([{ name: 'content/a.txt', data: Buffer.from('x') }])],
    ['two nuspecs', 'FEED_INVALID_PACKAGE', 'several .nuspec files', () => makeZip([{ name: 'a.nuspec', data: spec }, { name: 'b.nuspec', data: spec }])],
    ['a nuspec with a DTD', 'FEED_INVALID_PACKAGE', 'nuspec must not contain a DTD', () => makeZip([{ name: 'x.nuspec', data: Buffer.from('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><package><metadata><id>&a;</id></metadata></package>') }])],
    ['not a zip', 'FEED_INVALID_PACKAGE', 'no end of central directory', () => Buffer.from('just some text, not an archive at all')],
    ['a truncated archive', 'FEED_INVALID_PACKAGE', undefined, () => makeNupkg({ id: 'Ok', version: '1.0.0' }).subarray(0, 200)],
    ['a bad id', 'FEED_INVALID_NAME', undefined, () => makeNupkg({ id: 'bad id!', version: '1.0.0' })],
    ['a bad version', 'FEED_INVALID_VERSION', undefined, () => makeNupkg({ id: 'Ok', version: 'latest' })],
  ])('refuses %s → %s', async (label, code, reason, build) => {
    const err = await inspect(`${label.replace(/\W+/g, '-')}.nupkg`, build());
    expect(isFerryError(err) ? err.code : err).toBe(code);
    if (reason && isFerryError(err)) expect(err.data.reason).toBe(reason);
  });

  it.each([
    ['content/a.txt', true],
    ['lib/net45/', true],
    ['a/../b', false],
    ['./a', false],
    ['C:/x', false],
    ['a\u0000b', false],
    ['a//b', false],
  ])('entry name %j safe: %s', (name, ok) => {
    expect(isSafeEntryName(name)).toBe(ok);
  });
});
