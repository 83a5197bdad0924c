/**
 * docs/ci.md must stay usable as written: its workflow and job parse as YAML, run the commands
 * and flags ferry really has, and its shell exit-code handling matches `ferry diff`'s codes.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadTopologyFiles } from '../../src/topology/index.js';
import { createTopologyRepo } from '../helpers/topology-repo.js';
import { parse } from 'yaml';
import { repoRoot } from './run-cli.js';

const doc = readFileSync(path.join(repoRoot, 'docs', 'ci.md'), 'utf8');
const yamlBlocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('docs/ci.md', () => {
  it('has a GitHub Actions workflow and a GitLab CI job that parse', () => {
    expect(yamlBlocks).toHaveLength(2);
    const gh = parse(yamlBlocks[0]!) as { jobs: Record<string, { steps: Array<{ run?: string }> }> };
    const runs = Object.values(gh.jobs).flatMap((j) => j.steps.map((s) => s.run ?? '')).join('\n');
    expect(runs).toContain('ferry validate topology --format github --prefix topology');
    expect(runs).toMatch(/ferry diff HEAD\^1 HEAD --path topology > ferry-diff\.md/);
    const gl = parse(yamlBlocks[1]!) as Record<string, { script: string[]; artifacts: { reports: { codequality: string } } }>;
    const script = gl['ferry-topology']!.script.join('\n');
    expect(script).toContain('ferry validate topology --prefix topology');
    expect(script).toMatch(/ferry diff "\$CI_MERGE_REQUEST_DIFF_BASE_SHA" HEAD --path topology/);
    expect(gl['ferry-topology']!.artifacts.reports.codequality).toBe('gl-code-quality-report.json');
  });

  it("GitLab job's Code Quality conversion works on real validate JSON", () => {
    const gl = parse(yamlBlocks[1]!) as Record<string, { script: string[] }>;
    const convert = gl['ferry-topology']!.script.find((line) => line.startsWith('node -e'))!;
    const { issues } = loadTopologyFiles([{ path: 'bad.yaml', content: 'apiVersion: ferry/v1\nkind: Feed\nmetadata: {name: f}\nspec: {type: oci, sites: [ghost]}\n' }]);
    expect(issues.length).toBeGreaterThan(0);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ferry-ci-doc-'));
    try {
      writeFileSync(path.join(dir, 'ferry-issues.json'), JSON.stringify(issues));
      execFileSync('bash', ['-c', convert], { cwd: dir });
      const report = JSON.parse(readFileSync(path.join(dir, 'gl-code-quality-report.json'), 'utf8')) as Array<Record<string, unknown>>;
      expect(report[0]).toMatchObject({ check_name: issues[0]!.code, severity: 'major', location: { path: 'bad.yaml', lines: { begin: issues[0]!.line } } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("GitHub workflow's diff step runs as written on a pull_request merge commit", () => {
    const gh = parse(yamlBlocks[0]!) as { jobs: Record<string, { steps: Array<{ name?: string; run?: string }> }> };
    const step = Object.values(gh.jobs)[0]!.steps.find((s) => s.name === 'What changes per site')!.run!;
    const repo = createTopologyRepo();
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'ferry-ci-gh-'));
    try {
      repo.copyDir(path.join(repoRoot, 'examples', 'hub-and-spoke'), 'topology');
      repo.commit('base', {});
      repo.git('checkout', '-q', '-b', 'feature');
      repo.commit('add a feed', { 'topology/rpm.yaml': 'apiVersion: ferry/v1\nkind: Feed\nmetadata: {name: rpms}\nspec: {type: rpm, sites: [hub]}\n' });
      repo.git('checkout', '-q', 'main');
      repo.commit('unrelated', { 'README.md': 'x\n' });
      repo.git('merge', '-q', '--no-ff', '-m', 'merge', 'feature'); // what actions/checkout gives a PR
      // `ferry` on PATH is this repository's binary (built by npm test before the suite runs).
      writeFileSync(path.join(tmp, 'ferry'), `#!/bin/sh\nexec "${process.execPath}" "${path.join(repoRoot, 'bin', 'ferry.js')}" "$@"\n`, { mode: 0o755 });
      const summary = path.join(tmp, 'summary.md');
      execFileSync('bash', ['-e', '-c', step], { cwd: repo.dir, env: { ...process.env, PATH: `${tmp}:${process.env.PATH ?? ''}`, GITHUB_STEP_SUMMARY: summary } });
      const md = readFileSync(summary, 'utf8');
      expect(md).toContain('| `hub` | changed | +1 | — | — | — |');
      expect(md).toContain('- added `rpms` (rpm)');
    } finally {
      repo.cleanup();
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
