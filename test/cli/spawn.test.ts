/**
 * The real `ferry` binary, spawned: exit codes and stream discipline of plan, graph, diff and
 * token (in-process tests cover the details). Needs `npm run build` (npm test runs it first).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTopologyRepo, type TopologyRepo } from '../helpers/topology-repo.js';
import { examplesDir, runSpawned } from './run-cli.js';

describe('ferry binary: plan, graph, diff, token', () => {
  let invalidDir: string;
  let repo: TopologyRepo;

  beforeAll(() => {
    invalidDir = mkdtempSync(path.join(os.tmpdir(), 'ferry-invalid-'));
    writeFileSync(path.join(invalidDir, 'bad.yaml'), 'apiVersion: ferry/v1\nkind: Feed\nmetadata: {name: f}\nspec: {type: oci, sites: [ghost]}\n');
    repo = createTopologyRepo();
    repo.copyDir(path.join(examplesDir, 'multi-hub'), 'topology');
    repo.commit('one', {});
    repo.copyDir(path.join(examplesDir, 'hub-and-spoke'), 'topology');
    repo.commit('two', {});
  });

  afterAll(() => {
    rmSync(invalidDir, { recursive: true, force: true });
    repo.cleanup();
  });

  it('plan: 0 with the plan, 2 for an unknown site with a suggestion, 1 for an invalid topology', async () => {
    const ok = await runSpawned(['plan', '--site', 'store-sg-001', path.join(examplesDir, 'multi-hub'), '--format', 'json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ site: 'store-sg-001', replications: [{ peers: [{ site: 'hub-asia' }] }, { peers: [{ site: 'hub-asia' }] }] });
    const unknown = await runSpawned(['plan', '--site', 'store-sg-01', path.join(examplesDir, 'multi-hub')]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('did you mean "store-sg-001"');
    expect(unknown.stderr).toContain('[PLAN_SITE_NOT_FOUND]');
    const invalid = await runSpawned(['plan', '--site', 'x', invalidDir]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^bad\.yaml:4:\d+: error DANGLING_SITE_REF /m);
    expect(invalid.stdout).toBe('');
    const missingDir = await runSpawned(['plan', '--site', 'x', path.join(invalidDir, 'nope')]);
    expect(missingDir.code).toBe(2);
    const noSite = await runSpawned(['plan', path.join(examplesDir, 'multi-hub')]);
    expect(noSite.code).toBe(2);
  });

  it('graph: 0 with mermaid or dot, 1 for an invalid topology, 2 for a bad format', async () => {
    const mermaid = await runSpawned(['graph', path.join(examplesDir, 'edge-constraints')]);
    expect(mermaid.code).toBe(0);
    expect(mermaid.stdout.startsWith('flowchart LR\n')).toBe(true);
    const dot = await runSpawned(['graph', path.join(examplesDir, 'multi-hub'), '--format', 'dot', '--group-by', 'region']);
    expect(dot.code).toBe(0);
    expect(dot.stdout).toContain('subgraph cluster_0 {');
    expect((await runSpawned(['graph', invalidDir])).code).toBe(1);
    expect((await runSpawned(['graph', path.join(examplesDir, 'multi-hub'), '--format', 'png'])).code).toBe(2);
  });

  it('diff: 1 on changes, 0 without, 2 for a bad revision', async () => {
    const changed = await runSpawned(['diff', 'HEAD~1', 'HEAD', '--path', 'topology'], { cwd: repo.dir });
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain('| `hub` | added |');
    expect(changed.stdout).toContain('| `hub-us` | removed |');
    expect((await runSpawned(['diff', 'HEAD', 'main', '--path', 'topology'], { cwd: repo.dir })).code).toBe(0);
    expect((await runSpawned(['diff', 'nope', 'HEAD', '--repo', repo.dir])).code).toBe(2);
    expect((await runSpawned(['diff', 'HEAD'], { cwd: repo.dir })).code).toBe(2);
  });

  it('token new: 0, the secret on stdout only', async () => {
    const r = await runSpawned(['token', 'new', '--name', 'edge']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ferry_[A-Za-z0-9_-]{43}/);
    expect(r.stderr).toBe('');
  });

  it.each(['hub-and-spoke', 'multi-hub', 'disaster-recovery', 'edge-constraints'])('validate examples/%s exits 0', async (name) => {
    const r = await runSpawned(['validate', path.join(examplesDir, name)]);
    expect(r.code).toBe(0);
  });
});
