/**
 * `ferry validate` spawned as a real process (node bin/ferry.js): exit codes, the three output
 * formats, site config files, the whole broken-case table, and every example directory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { BASE, expectedPosition, removeDir, writeTopology } from './helpers.js';
import { brokenCases } from './cases.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'ferry.js');

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function ferry(args: string[], cwd = ROOT): Promise<Ran> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Newest mtime under a directory (to rebuild dist/ only when src/ changed). */
function newest(dir: string): number {
  let max = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    max = Math.max(max, st.isDirectory() ? newest(p) : st.mtimeMs);
  }
  return max;
}

const dirs: string[] = [];
beforeAll(async () => {
  const built = join(ROOT, 'dist', 'cli', 'commands', 'validate.js');
  if (!existsSync(built) || statSync(built).mtimeMs < newest(join(ROOT, 'src'))) {
    // tsc emits even when other folders have type errors; the exit code is not ours to judge here.
    await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')]).catch(() => undefined);
  }
}, 120_000);
afterAll(async () => {
  await Promise.all(dirs.map(removeDir));
});
async function tmp(files: Record<string, string>): Promise<string> {
  const dir = await writeTopology(files);
  dirs.push(dir);
  return dir;
}

const BROKEN = `apiVersion: ferry/v1
kind: Replication
metadata: {name: r1}
spec:
  mode: pull
  source: {site: hub, feed: images}
  target:
    sites: [store-9]
    feed: store-images
  schedul: "* * * * *"
`;

// Concurrent: every spawn loads the whole CLI, which is slow on a loaded 2-core machine; the
// tests are independent (own temp dirs), so they wait for CPU side by side instead of in a row.
describe.concurrent('ferry validate (spawned)', () => {
  it('exits 0 on a valid topology and prints a summary', async () => {
    const dir = await tmp({ 'base.yaml': BASE });
    const r = await ferry(['validate', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^valid: 0 errors, 0 warnings \(6 resources in .+\)\n$/);
  });

  it('defaults to the current directory', async () => {
    const dir = await tmp({ 'base.yaml': BASE, 'x.yaml': BROKEN });
    const r = await ferry(['validate'], dir);
    expect(r.code).toBe(1);
  });

  it('exits 1 and prints every issue as file:line:col: severity CODE message', async () => {
    const dir = await tmp({ 'base.yaml': BASE, 'x.yaml': BROKEN });
    const r = await ferry(['validate', dir]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^x\.yaml:8:13: error DANGLING_SITE_REF site "store-9" is not defined/);
    expect(lines[1]).toMatch(/^x\.yaml:10:3: error SCHEMA_UNKNOWN_FIELD unknown field "schedul"; did you mean "schedule"\?/);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('invalid: 2 errors, 0 warnings (6 resources in ' + dir + ')');
  });

  it('--format json prints an array of {severity, code, message, file, line, column, path}', async () => {
    const dir = await tmp({ 'base.yaml': BASE, 'x.yaml': BROKEN.replace('  schedul: "* * * * *"\n', '') });
    const r = await ferry(['validate', dir, '--format', 'json']);
    expect(r.code).toBe(1);
    const rows = JSON.parse(r.stdout) as unknown[];
    expect(rows).toEqual([
      { severity: 'error', code: 'DANGLING_SITE_REF', message: expect.stringContaining('store-9') as string, file: 'x.yaml', line: 8, column: 13, path: '/spec/target/sites/0' },
    ]);
  });

  it('--format github prints workflow annotations (escaped)', async () => {
    const dir = await tmp({ 'base.yaml': BASE, 'x.yaml': BROKEN });
    const r = await ferry(['validate', dir, '--format', 'github', '--prefix', 'topology/']);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')[1]).toBe(
      '::error file=topology/x.yaml,line=10,col=3,title=SCHEMA_UNKNOWN_FIELD::unknown field "schedul"; did you mean "schedule"? (allowed: mode, source, target, schedule, filter, deletes, token, fallback, suspend)',
    );
    expect(r.stdout.split('\n')[0]).toMatch(/^::error file=topology\/x\.yaml,line=8,col=13,title=DANGLING_SITE_REF::/);
    expect(r.stderr).toMatch(/invalid: 2 errors/);
  });

  it('warnings keep exit 0 and show as warning annotations', async () => {
    const dir = await tmp({ 'base.yaml': BASE, 'u.yaml': 'apiVersion: ferry/v1\nkind: Upstream\nmetadata: {name: corp}\nspec: {type: oci, url: "https://r.example"}\n' });
    const r = await ferry(['validate', dir, '--format', 'github']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^::warning file=u\.yaml,line=3,col=18,title=UNUSED_UPSTREAM::/);
  });

  it('exits 2 on a missing directory and on a bad --format', async () => {
    const missing = await ferry(['validate', join(ROOT, 'no-such-dir')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/\[IO_ERROR\]/);
    const bad = await ferry(['validate', ROOT, '--format', 'xml']);
    expect(bad.code).toBe(2);
  });

  it('--config validates a site config file', async () => {
    const dir = await tmp({
      'good.yaml': 'site: spoke-a\ntopology:\n  url: https://git.example.net/ops/edge-topology.git\n  ref: main\n  path: topology/\n  pollInterval: 60s\n  credentials: {secretRef: {env: FERRY_GIT_TOKEN}}\n  verifyCommits: {keys: [/etc/ferry/trusted.asc]}\ndataDir: /var/lib/ferry\nlisten: 127.0.0.1:8443\ntls: {cert: /etc/ferry/tls.crt, key: /etc/ferry/tls.key}\nwebhook: {secretRef: {env: FERRY_WEBHOOK_SECRET}}\nstore: {type: fs}\n',
      'bad.yaml': 'site: spoke-a\ntopology:\n  url: https://git.example.net/x.git\n  pollInterval: 1 minute\n  credentials: ghp_abcdef\ndataDir: /var/lib/ferry\nstore: {type: registry}\n',
    });
    const good = await ferry(['validate', '--config', join(dir, 'good.yaml')]);
    expect(good.stdout).toMatch(/^valid/);
    expect(good.code).toBe(0);
    const bad = await ferry(['validate', '--config', join(dir, 'bad.yaml'), '--format', 'json']);
    expect(bad.code).toBe(1);
    const rows = JSON.parse(bad.stdout) as Array<{ code: string; line: number }>;
    expect(rows.map((i) => [i.code, i.line])).toEqual([
      ['INVALID_DURATION', 4],
      ['PLAINTEXT_SECRET', 5],
    ]);
    expect(bad.stdout).not.toContain('ghp_abcdef');
    // With a topology, the config's site must be one of its sites (BASE has hub, store-1, store-2).
    const topo = await tmp({ 'base.yaml': BASE });
    const both = await ferry(['validate', topo, '--config', join(dir, 'good.yaml'), '--format', 'json']);
    expect(both.code).toBe(1);
    expect((JSON.parse(both.stdout) as Array<{ code: string; file: string; line: number }>).map((i) => [i.code, i.file, i.line])).toEqual([['DANGLING_SITE_REF', join(dir, 'good.yaml'), 1]]);
  });

  it('a sample of the broken cases (broken.test.ts runs all in-process) exit with their code at their line and column', async () => {
    // Each spawn loads the whole CLI (seconds on a loaded machine): a sample keeps this file fast.
    const queue = brokenCases.filter((_, i) => i % 12 === 0);
    const failures: string[] = [];
    const worker = async (): Promise<void> => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const dir = await tmp({ 'base.yaml': BASE, ...(c.files as Record<string, string>) });
        const r = await ferry(['validate', dir, '--format', 'json']);
        const want = expectedPosition(c.files, c.at);
        const rows = JSON.parse(r.stdout || '[]') as Array<{ code: string; file: string; line: number; column: number }>;
        const hit = rows.some((i) => i.code === c.code && i.file === want.file && i.line === want.line && i.column === want.column);
        const exit = (c.severity ?? 'error') === 'error' ? 1 : 0;
        if (!hit || r.code !== exit) failures.push(`${c.name}: exit ${r.code}, ${JSON.stringify(rows.map((i) => [i.code, i.line, i.column]))} ${r.stderr}`);
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    expect(failures).toEqual([]);
  }, 120_000);

  it('every examples/* directory validates with exit 0', async () => {
    const examples = join(ROOT, 'examples');
    const names = existsSync(examples) ? readdirSync(examples).filter((n) => statSync(join(examples, n)).isDirectory()) : [];
    const results = await Promise.all(names.map(async (name) => ({ name, r: await ferry(['validate', join('examples', name)]) })));
    for (const { name, r } of results) {
      expect({ name, code: r.code, out: r.code === 0 ? '' : r.stdout + r.stderr }).toEqual({ name, code: 0, out: '' });
    }
  }, 60_000);
});
