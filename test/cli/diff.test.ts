import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { register } from '../../src/cli/commands/diff.js';
import { createTopologyRepo, type TopologyRepo } from '../helpers/topology-repo.js';
import { examplesDir, runInProcess } from './run-cli.js';

const example = (file: string): string => readFileSync(path.join(examplesDir, 'hub-and-spoke', file), 'utf8');

describe('ferry diff (real Git repositories made with the git CLI)', () => {
  let repo: TopologyRepo;
  const run = (...argv: string[]) => runInProcess([register], ['diff', ...argv, '--repo', repo.dir, '--path', 'topology']);

  beforeAll(() => {
    repo = createTopologyRepo();
    repo.copyDir(path.join(examplesDir, 'hub-and-spoke'), 'topology');
    repo.commit('hub and spoke', { 'README.md': '# ops\n' });
    repo.git('tag', 'v1');
    // Second commit: a feed added, a replication changed, an incoming rule removed.
    repo.commit('change', {
      'topology/rpm.yaml': 'apiVersion: ferry/v1\nkind: Feed\nmetadata: {name: rpms}\nspec: {type: rpm, sites: [hub]}\n',
      'topology/replications.yaml': example('replications.yaml').replace('schedule: "*/15 * * * *"', 'schedule: "*/20 * * * *"'),
      'topology/sites.yaml': example('sites.yaml').replace(/ {2}incoming:\n(?: {4}.*\n)+/, ''),
    });
    // Third commit: nothing under topology/ changes.
    repo.commit('docs only', { 'README.md': '# ops, edited\n' });
    // Fourth commit: HEAD becomes invalid (a dangling site reference).
    repo.commit('broken', { 'topology/broken.yaml': 'apiVersion: ferry/v1\nkind: Feed\nmetadata: {name: oops}\nspec: {type: oci, sites: [no-such-site]}\n' });
  });

  afterAll(() => repo.cleanup());

  it('exits 1 and prints a PR comment with the feed added, the replication changed and the rule removed', async () => {
    const r = await run('v1', 'HEAD~1');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^### ferry diff `v1` \(`[0-9a-f]{12}`\) → `HEAD~1` \(`[0-9a-f]{12}`\)/);
    expect(r.stdout).toContain('| `hub` | changed | +1 | — | −1 | — |');
    expect(r.stdout).toContain('| `store-001`, `store-002`, `store-003` | changed | — | ~1 | — | — |');
    expect(r.stdout).toContain('- added `rpms` (rpm)');
    expect(r.stdout).toContain('- removed `stores` (read, feeds `*`, token sha256:0413e9e5…)');
    expect(r.stdout).toContain('- changed `debs-to-stores (pull-target)`: `schedule` `*/15 * * * *` → `*/20 * * * *`');
    // Removing the rule leaves the stores' pulls uncovered: warnings, listed at the end.
    expect(r.stdout).toMatch(/#### Validation problems at HEAD \(0 errors, \d+ warnings\)/);
    expect(r.stdout).toContain('`INCOMING_READ_MISSING`');
  });

  it('prints the same facts as JSON', async () => {
    const r = await run('v1', 'HEAD~1', '--format', 'json');
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as {
      base: { commit: string };
      head: { commit: string; valid: boolean };
      changed: boolean;
      sites: Array<{ site: string; feeds: { added: Array<{ name: string }> }; incoming: { removed: Array<{ name: string }> }; replications: { changed: Array<{ key: string; changes: unknown[] }> } }>;
    };
    expect(out.base.commit).toBe(repo.git('rev-parse', 'v1'));
    expect(out.head.commit).toBe(repo.git('rev-parse', 'HEAD~1'));
    expect(out.changed).toBe(true);
    const hub = out.sites.find((s) => s.site === 'hub')!;
    expect(hub.feeds.added.map((f) => f.name)).toEqual(['rpms']);
    expect(hub.incoming.removed.map((i) => i.name)).toEqual(['stores']);
    const store = out.sites.find((s) => s.site === 'store-001')!;
    expect(store.replications.changed).toEqual([{ key: 'debs-to-stores (pull-target)', changes: [{ field: 'schedule', before: '*/15 * * * *', after: '*/20 * * * *' }] }]);
  });

  it('exits 0 when nothing under the path changed (and with --exit-zero)', async () => {
    const same = await run('HEAD~2', 'HEAD~1');
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('No site changes');
    expect((await run('v1', 'v1', '--format', 'json')).code).toBe(0);
    expect((await run('v1', 'HEAD~1', '--exit-zero')).code).toBe(0);
  });

  it("lists HEAD's validation problems with repository-relative paths", async () => {
    const r = await run('HEAD~1', 'HEAD');
    expect(r.stdout).toMatch(/#### Validation problems at HEAD \(1 errors, \d+ warnings\)/);
    expect(r.stdout).toMatch(/- `topology\/broken\.yaml:4:\d+` \*\*error\*\* `DANGLING_SITE_REF`/);
  });

  it('treats a topology path that appears in HEAD as every site added', async () => {
    const r = await runInProcess([register], ['diff', 'v1', 'HEAD~1', '--repo', repo.dir, '--path', 'topology', '--format', 'json']);
    expect(r.code).toBe(1);
    const fresh = createTopologyRepo();
    try {
      fresh.commit('empty', { 'README.md': 'x\n' });
      fresh.copyDir(path.join(examplesDir, 'disaster-recovery'), 'topo');
      fresh.commit('add topology', {});
      const added = await runInProcess([register], ['diff', 'HEAD~1', 'HEAD', '--repo', fresh.dir, '--path', 'topo', '--format', 'json']);
      expect(added.code).toBe(1);
      expect((JSON.parse(added.stdout) as { sitesAdded: string[] }).sitesAdded).toEqual(['production', 'standby']);
    } finally {
      fresh.cleanup();
    }
  });

  it.each([
    [['no-such-rev', 'HEAD'], 'GIT_REVISION_NOT_FOUND'],
    [['HEAD~99', 'HEAD'], 'GIT_REVISION_NOT_FOUND'],
    [['v1..HEAD', 'HEAD'], 'GIT_INVALID_REVISION'],
  ])('exits 2 for %j with %s', async (revs, code) => {
    const r = await run(...revs);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`[${code}]`);
    expect(r.stdout).toBe('');
  });

  it('exits 2 for a path that exists at neither revision, and outside a repository', async () => {
    const missing = await runInProcess([register], ['diff', 'v1', 'HEAD', '--repo', repo.dir, '--path', 'nope']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('[GIT_PATH_NOT_FOUND]');
    const plain = mkdtempSync(path.join(os.tmpdir(), 'ferry-not-a-repo-'));
    try {
      const notRepo = await runInProcess([register], ['diff', 'v1', 'HEAD', '--repo', plain]);
      expect(notRepo.code).toBe(2);
      expect(notRepo.stderr).toContain('[GIT_NOT_A_REPOSITORY]');
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
  });

  it('hands raw bytes to the loader, so a non-UTF-8 file at HEAD is reported at its path', async () => {
    const fresh = createTopologyRepo();
    try {
      fresh.copyDir(path.join(examplesDir, 'disaster-recovery'), 'topo');
      fresh.commit('one', {});
      writeFileSync(path.join(fresh.dir, 'topo', 'latin1.yaml'), Buffer.from([0x23, 0x20, 0xe9, 0x0a]));
      fresh.commit('two', {});
      const r = await runInProcess([register], ['diff', 'HEAD~1', 'HEAD', '--repo', fresh.dir, '--path', 'topo', '--format', 'json']);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout) as { head: { valid: boolean }; headIssues: Array<{ code: string; file: string }> };
      expect(out.head.valid).toBe(false);
      expect(out.headIssues).toContainEqual(expect.objectContaining({ code: 'FILE_NOT_UTF8', file: 'latin1.yaml' }));
    } finally {
      fresh.cleanup();
    }
  });

  it('reports a file over the size cap at HEAD as FILE_TOO_LARGE at its path instead of failing', async () => {
    const fresh = createTopologyRepo();
    try {
      fresh.copyDir(path.join(examplesDir, 'disaster-recovery'), 'topo');
      fresh.commit('one', {});
      fresh.commit('two', { 'topo/huge.yaml': `# ${'x'.repeat(1024 * 1024)}\n` });
      const r = await runInProcess([register], ['diff', 'HEAD~1', 'HEAD', '--repo', fresh.dir, '--path', 'topo']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/- `topo\/huge\.yaml:1:1` \*\*error\*\* `FILE_TOO_LARGE`/);
    } finally {
      fresh.cleanup();
    }
  });
});
