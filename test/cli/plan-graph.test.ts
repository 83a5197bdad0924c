import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { register as plan } from '../../src/cli/commands/plan.js';
import { register as graph } from '../../src/cli/commands/graph.js';
import { examplesDir, runInProcess } from './run-cli.js';

const run = (...argv: string[]) => runInProcess([plan, graph], argv);
const ex = (name: string): string => path.join(examplesDir, name);

describe('ferry plan (in process)', () => {
  it('prints the plan as text and as JSON', async () => {
    const text = await run('plan', '--site', 'standby', ex('disaster-recovery'));
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Site standby {2}https:\/\/ferry\.standby\.example\.net$/m);
    expect(text.stdout).toMatch(/^ {2}dr-releases {2}mirror \(target side\)/m);
    expect(text.stdout).toMatch(/token\s+file \/etc\/ferry\/secrets\/dr-mirror-token/);
    const json = await run('plan', '--site', 'standby', ex('disaster-recovery'), '--format', 'json');
    expect(JSON.parse(json.stdout)).toMatchObject({ site: 'standby', feeds: [{ name: 'containers' }, { name: 'debs' }, { name: 'releases' }] });
  });

  it('prints warnings on stderr and still plans', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ferry-plan-warn-'));
    try {
      await cp(ex('edge-constraints'), dir, { recursive: true });
      // An upstream no replication uses is a warning, not an error.
      await writeFile(path.join(dir, 'unused.yaml'), 'apiVersion: ferry/v1\nkind: Upstream\nmetadata: {name: spare}\nspec: {type: oci, url: "https://spare.example.net"}\n');
      const r = await run('plan', '--site', 'hub-south', dir);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/^unused\.yaml:\d+:\d+: warning UNUSED_UPSTREAM /m);
      expect(r.stdout).toContain('corp-images-to-hubs');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [['plan', ex('multi-hub')], 2],
    [['plan', '--site', 'hub-us', path.join(os.tmpdir(), 'ferry-no-such-dir-for-plan')], 2],
    [['plan', '--site', 'nowhere', ex('multi-hub')], 2],
    [['plan', '--site', 'hub-us', ex('multi-hub'), '--format', 'yaml'], 2],
  ])('%j exits %i', async (argv, code) => {
    expect((await run(...argv)).code).toBe(code);
  });

  it('exits 1 on an invalid topology, printing every issue and no plan', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ferry-plan-invalid-'));
    try {
      writeFileSync(path.join(dir, 'a.yaml'), 'apiVersion: ferry/v1\nkind: Site\nmetadata: {name: a}\nspec: {url: https://a.example.net}\n---\napiVersion: ferry/v1\nkind: Site\nmetadata: {name: a}\nspec: {}\n');
      const r = await run('plan', '--site', 'a', dir);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^a\.yaml:\d+:\d+: error \S+ /m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ferry graph (in process)', () => {
  it('defaults to mermaid grouped by role', async () => {
    const r = await run('graph', ex('hub-and-spoke'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('subgraph g0["role: hub"]');
    expect(r.stdout).toContain('subgraph g1["role: store"]');
    expect(r.stdout).toContain('s_hub -->|"containers → store-containers (pull)"| s_store_001');
  });

  it('draws no groups with --group-by none', async () => {
    const r = await run('graph', ex('hub-and-spoke'), '--group-by', 'none', '--format', 'dot');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('cluster');
  });

  it('rejects an unknown format with exit 2', async () => {
    expect((await run('graph', ex('hub-and-spoke'), '--format', 'png')).code).toBe(2);
  });
});
