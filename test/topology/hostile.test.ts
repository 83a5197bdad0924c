/**
 * Hostile input: every case must end in issues (never a throw, hang or memory blow-up), in
 * bounded time. Times are generous upper bounds for a loaded 2-core machine, not benchmarks.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadTopologyDir, loadTopologyFiles } from '../../src/topology/index.js';
import { BASE, removeDir, writeTopology } from './helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(removeDir));
});
async function tmp(files: Record<string, string | Buffer>): Promise<string> {
  const dir = await writeTopology(files);
  dirs.push(dir);
  return dir;
}

/** Billion laughs: 9 levels of 9 aliases, 9^9 ≈ 387 million nodes if expanded. */
function billionLaughs(): string {
  let s = 'apiVersion: ferry/v1\nkind: Feed\nmetadata: {name: lol}\nspec:\n  type: oci\n  a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n';
  for (let i = 1; i <= 9; i++) s += `  a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]\n`;
  return s;
}

describe('hostile input', () => {
  it('an alias bomb fails in bounded time with YAML_ALIAS_LIMIT', async () => {
    const dir = await tmp({ 'bomb.yaml': billionLaughs() });
    const started = performance.now();
    const rssBefore = process.memoryUsage().rss;
    const result = await loadTopologyDir(dir);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 1024 * 1024);
    expect(result.valid).toBe(false);
    expect(result.issues.map((i) => [i.code, i.file, i.line])).toContainEqual(['YAML_ALIAS_LIMIT', 'bomb.yaml', 1]);
  });

  it('a file over the size cap is refused without being parsed (10 MB)', async () => {
    const big = 'apiVersion: ferry/v1\nkind: Feed\nmetadata: {name: big}\nspec:\n  type: oci\n  # ' + 'x'.repeat(10 * 1024 * 1024) + '\n';
    const dir = await tmp({ 'base.yaml': BASE, 'big.yaml': big });
    const started = performance.now();
    const result = await loadTopologyDir(dir);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(result.issues.map((i) => [i.code, i.file, i.line, i.column])).toEqual([['FILE_TOO_LARGE', 'big.yaml', 1, 1]]);
    expect(result.valid).toBe(false);
    expect(result.topology.sites).toHaveLength(3); // the rest still loads
  });

  it('the size cap is configurable, and applies to in-memory files too', () => {
    const result = loadTopologyFiles([{ path: 'a.yaml', content: BASE }], { maxFileBytes: 100 });
    expect(result.issues.map((i) => i.code)).toEqual(['FILE_TOO_LARGE']);
  });

  it('a directory with more YAML files than maxFiles stops with TOPOLOGY_TOO_LARGE', async () => {
    const files = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`d${i % 3}/f${String(i).padStart(2, '0')}.yaml`, '# empty\n']));
    const dir = await tmp(files);
    const result = await loadTopologyDir(dir, { maxFiles: 10 });
    expect(result.issues.map((i) => i.code)).toEqual(['TOPOLOGY_TOO_LARGE']);
  });

  it('a total cap stops reading with TOPOLOGY_TOO_LARGE', () => {
    const files = Array.from({ length: 5 }, (_, i) => ({ path: `f${i}.yaml`, content: BASE }));
    const result = loadTopologyFiles(files, { maxTotalBytes: BASE.length * 2 + 10 });
    expect(result.issues.filter((i) => i.code === 'TOPOLOGY_TOO_LARGE').map((i) => i.file)).toEqual(['f2.yaml']);
  });

  it('a binary file (random bytes) is FILE_NOT_UTF8 or FILE_BINARY, never a crash', async () => {
    const bytes = Buffer.alloc(64 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 256;
    const dir = await tmp({ 'blob.yaml': bytes, 'nul.yml': Buffer.from('apiVersion: ferry/v1\n\u0000kind: Feed\n') });
    const result = await loadTopologyDir(dir);
    expect(result.issues.map((i) => [i.code, i.file])).toEqual([
      ['FILE_NOT_UTF8', 'blob.yaml'],
      ['FILE_BINARY', 'nul.yml'],
    ]);
    expect(result.issues[1]).toMatchObject({ line: 2, column: 1 });
  });

  it('Latin-1 text (not UTF-8) points at the first bad byte', async () => {
    const dir = await tmp({ 'latin1.yaml': Buffer.concat([Buffer.from('apiVersion: ferry/v1\nkind: Site\nmetadata: {name: s, annotations: {owner: "Jos'), Buffer.from([0xe9]), Buffer.from('"}}\n')]) });
    const result = await loadTopologyDir(dir);
    expect(result.issues).toMatchObject([{ code: 'FILE_NOT_UTF8', line: 3, column: 46 }]);
  });

  it('tabs and duplicate keys are reported at their position', async () => {
    const dir = await tmp({ 'bad.yaml': 'apiVersion: ferry/v1\nkind: Site\nmetadata:\n  name: a\n  name: b\nspec:\n\turl: https://x.example\n' });
    const result = await loadTopologyDir(dir);
    const codes = result.issues.map((i) => [i.code, i.line, i.column]);
    expect(codes).toContainEqual(['YAML_DUPLICATE_KEY', 5, 3]);
    expect(codes).toContainEqual(['YAML_TAB', 7, 1]);
  });

  it.each([
    ['a megabyte of "["', '['.repeat(1024 * 1024 - 1), 1, 65],
    ['nested flow mappings', 'spec: ' + '{a: '.repeat(100), 1, 263],
    ['1,400 levels of block indentation', Array.from({ length: 1400 }, (_, i) => ' '.repeat(i) + 'a:').join('\n'), undefined, undefined],
  ] as const)('%s: YAML_TOO_DEEP quickly, not a stack overflow', (_name, content, line, column) => {
    const started = performance.now();
    const result = loadTopologyFiles([{ path: 'deep.yaml', content }]);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(result.issues).toHaveLength(1);
    expect(result.issues[0]).toMatchObject({ code: 'YAML_TOO_DEEP', file: 'deep.yaml', ...(line ? { line, column } : {}) });
  });

  it('brackets inside quoted strings and comments do not count as nesting', () => {
    const content = `apiVersion: ferry/v1\nkind: Site\nmetadata:\n  name: s\n  annotations: {a: "${'['.repeat(100)}", b: '${'{'.repeat(100)}'}  # ${'['.repeat(100)}\n`;
    expect(loadTopologyFiles([{ path: 'q.yaml', content }]).issues).toEqual([]);
  });

  it('an unknown directive is a warning, the document is still used', () => {
    const result = loadTopologyFiles([{ path: 'd.yaml', content: '%FOO bar\n---\napiVersion: ferry/v1\nkind: Site\nmetadata: {name: a}\n' }]);
    expect(result.issues.map((i) => [i.code, i.severity, i.line])).toEqual([['YAML_WARNING', 'warning', 1]]);
    expect(result.topology.sites).toHaveLength(1);
  });

  it('a symlink leaving the directory is refused; one inside is followed', async () => {
    const outside = await tmp({ 'secret.yaml': 'apiVersion: ferry/v1\nkind: Site\nmetadata: {name: outside}\n' });
    const dir = await tmp({ 'base.yaml': BASE });
    await symlink(join(outside, 'secret.yaml'), join(dir, 'escape.yaml'));
    await symlink(outside, join(dir, 'escape-dir'));
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'real.yaml'), 'apiVersion: ferry/v1\nkind: Site\nmetadata: {name: inner}\n');
    await symlink(join(dir, 'sub'), join(dir, 'sub-link')); // second path to the same dir: read once
    await symlink(join(dir, 'missing.yaml'), join(dir, 'dangling.yaml'));
    const result = await loadTopologyDir(dir);
    expect(result.issues.map((i) => [i.code, i.file])).toEqual([
      ['FILE_UNREADABLE', 'dangling.yaml'],
      ['SYMLINK_ESCAPE', 'escape-dir'],
      ['SYMLINK_ESCAPE', 'escape.yaml'],
    ]);
    expect(result.topology.sites.map((s) => s.metadata.name)).toEqual(['hub', 'store-1', 'store-2', 'inner']);
  });

  it('non-ferry files are ignored, dot-directories skipped, empty documents skipped', async () => {
    const dir = await tmp({
      'README.md': '# not yaml',
      '.github/workflows/ci.yml': 'on: push\njobs: {}\n',
      'empty.yaml': '',
      'comments.yaml': '# nothing here\n---\n---\n# still nothing\n',
      'base.yaml': BASE,
    });
    const result = await loadTopologyDir(dir);
    expect(result.issues).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('an alias to an anchor of another document is a YAML error, not an alias bomb', () => {
    const content = 'apiVersion: ferry/v1\nkind: Site\nmetadata: {name: a, labels: &l {role: x}}\n---\napiVersion: ferry/v1\nkind: Site\nmetadata: {name: b, labels: *l}\n';
    const result = loadTopologyFiles([{ path: 'a.yaml', content }]);
    expect(result.issues.map((i) => [i.code, i.line])).toEqual([['YAML_SYNTAX', 5]]);
  });

  it('in-memory files follow the same selection (dot-entries and non-YAML skipped)', () => {
    const result = loadTopologyFiles([
      { path: '.github/workflows/ci.yml', content: 'on: push\n' },
      { path: 'README.md', content: '# x' },
      { path: 'sites/base.yaml', content: BASE },
    ]);
    expect(result.issues).toEqual([]);
    expect(result.topology.sites).toHaveLength(3);
  });

  it('a missing directory throws IO_ERROR (the only throw)', async () => {
    await expect(loadTopologyDir(join(dirs[0] ?? '/nonexistent', 'nope'))).rejects.toMatchObject({ code: 'IO_ERROR' });
  });

  it('issues per file are capped, with TOO_MANY_ISSUES saying how many were left out', () => {
    const doc = (i: number): string => `apiVersion: ferry/v1\nkind: Site\nmetadata: {name: Bad_${i}}\n`;
    const content = Array.from({ length: 2000 }, (_, i) => doc(i)).join('---\n');
    const result = loadTopologyFiles([{ path: 'many.yaml', content }]);
    expect(result.valid).toBe(false);
    expect(result.issues.filter((i) => i.code === 'INVALID_NAME')).toHaveLength(100);
    expect(result.issues.at(-1)).toMatchObject({ code: 'TOO_MANY_ISSUES', file: 'many.yaml', line: 399, column: 18 });
  });

  it('a file of a quarter million empty documents stops at the document cap, in bounded memory', () => {
    const rss = process.memoryUsage().rss;
    const result = loadTopologyFiles([{ path: 'docs.yaml', content: '---\n'.repeat(262_000) }]);
    expect(result.issues).toMatchObject([{ code: 'YAML_TOO_MANY_DOCUMENTS', line: 10_001, column: 1 }]);
    expect(process.memoryUsage().rss - rss).toBeLessThan(150 * 1024 * 1024);
  });
});
