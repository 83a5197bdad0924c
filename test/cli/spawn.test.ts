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
    // Spawned side by side: each start of the binary is the slow part on a loaded machine.
    const [ok, unknown, invalid] = await Promise.all([
      runSpawned(['plan', '--site', 'store-sg-001', path.join(examplesDir, 'multi-hub'), '--format', 'json']),
      runSpawned(['plan', '--site', 'store-sg-01', path.join(examplesDir, 'multi-hub')]),
      runSpawned(['plan', '--site', 'x', invalidDir]),
    ]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ site: 'store-sg-001', replications: [{ peers: [{ site: 'hub-asia' }] }, { peers: [{ site: 'hub-asia' }] }] });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('did you mean "store-sg-001"');
    expect(unknown.stderr).toContain('[PLAN_SITE_NOT_FOUND]');
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^bad\.yaml:4:\d+: error DANGLING_SITE_REF /m);
    expect(invalid.stdout).toBe('');
  });

  it('graph: 0 with the graph, 1 for an invalid topology', async () => {
    const [dot, invalid] = await Promise.all([
      runSpawned(['graph', path.join(examplesDir, 'multi-hub'), '--format', 'dot', '--group-by', 'region']),
      runSpawned(['graph', invalidDir]),
    ]);
    expect(dot.code).toBe(0);
    expect(dot.stdout).toContain('subgraph cluster_0 {');
    expect(invalid.code).toBe(1);
  });

  it('diff: 1 on changes, 0 without, 2 for a bad revision', async () => {
    const [changed, same, bad] = await Promise.all([
      runSpawned(['diff', 'HEAD~1', 'HEAD', '--path', 'topology'], { cwd: repo.dir }),
      runSpawned(['diff', 'HEAD', 'main', '--path', 'topology'], { cwd: repo.dir }),
      runSpawned(['diff', 'nope', 'HEAD', '--repo', repo.dir]),
    ]);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain('| `hub` | added |');
    expect(changed.stdout).toContain('| `hub-us` | removed |');
    expect(same.code).toBe(0);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('[GIT_REVISION_NOT_FOUND]');
  });

  it('token new: 0, the secret on stdout only', async () => {
    const r = await runSpawned(['token', 'new', '--name', 'edge']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ferry_[A-Za-z0-9_-]{43}/);
    expect(r.stderr).toBe('');
  });

  // Every example validates (test/plan/examples.test.ts, in-process); the binary agrees on one
  // that has a warning, which must not fail it.
  it('validate examples/edge-constraints exits 0', async () => {
    const r = await runSpawned(['validate', path.join(examplesDir, 'edge-constraints')]);
    expect(r.code).toBe(0);
  });
});
