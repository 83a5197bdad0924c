/**
 * The table of broken topologies, validated in-process: each case must produce its code, with
 * its severity, at the marked file:line:column. Errors make the topology invalid; warning-only
 * cases keep it valid.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadTopologyDir, IssueCode } from '../../src/topology/index.js';
import { BASE, expectedPosition, removeDir, writeTopology } from './helpers.js';
import { brokenCases } from './cases.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(removeDir));
});

describe('broken topologies', () => {
  it.each(brokenCases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const files = c.noBase ? c.files : { 'base.yaml': BASE, ...c.files };
    const dir = await writeTopology(files);
    dirs.push(dir);
    const result = await loadTopologyDir(dir);
    const want = expectedPosition(c.files, c.at);
    const severity = c.severity ?? 'error';
    const found = result.issues.filter((i) => i.code === c.code);
    expect(found.map((i) => ({ file: i.file, line: i.line, column: i.column, severity: i.severity }))).toContainEqual({ ...want, severity });
    if (severity === 'error') {
      expect(result.valid).toBe(false);
    } else {
      expect(result.valid, JSON.stringify(result.issues)).toBe(true);
    }
    // No issue anywhere may echo a secret.
    expect(JSON.stringify(result.issues)).not.toMatch(/hunter2|s3cret|ferry_3q2W|abc123/);
  });

  it('covers every issue code that a topology can produce', () => {
    const covered = new Set(brokenCases.map((c) => c.code));
    // Codes exercised by hostile.test.ts (files, limits) rather than this table.
    const elsewhere = ['FILE_TOO_LARGE', 'TOPOLOGY_TOO_LARGE', 'FILE_NOT_UTF8', 'FILE_BINARY', 'FILE_UNREADABLE', 'SYMLINK_ESCAPE', 'YAML_WARNING', 'YAML_TOO_DEEP'];
    const missing = Object.values(IssueCode).filter((code) => !covered.has(code) && !elsewhere.includes(code));
    expect(missing).toEqual([]);
  });

  it('base topology is valid with no issue at all', async () => {
    const dir = await writeTopology({ 'base.yaml': BASE });
    dirs.push(dir);
    const result = await loadTopologyDir(dir);
    expect(result.issues).toEqual([]);
    expect(result.valid).toBe(true);
    expect(result.topology.sites.map((s) => s.metadata.name)).toEqual(['hub', 'store-1', 'store-2']);
  });
});
