/**
 * `ferry controller` as an operator runs it: a spawned process with a site config file and
 * `FERRY_*` overrides; `ferry status` and `ferry run` against it; /healthz, /readyz, /metrics;
 * a sync window that is closed makes a run wait; SIGTERM shuts it down cleanly (exit 0).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopologyRepo, type TopologyRepo } from '../helpers/topology-repo.js';
import { freePort, newToken } from '../helpers/controllers.js';

const run = promisify(execFile);
const ferry = (args: string[], env: NodeJS.ProcessEnv = {}) => run(process.execPath, ['bin/ferry.js', ...args], { env: { ...process.env, ...env }, timeout: 60_000 }).then(
  (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
  (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
);

/** A one-hour UTC window that opens two hours from now: certainly closed while the test runs. */
function closedWindow(): string {
  const hhmm = (h: number) => `${String(h % 24).padStart(2, '0')}:00`;
  const hour = new Date().getUTCHours();
  return `{start: "${hhmm(hour + 2)}", end: "${hhmm(hour + 3)}"}`;
}

describe('ferry controller (spawned)', () => {
  let repo: TopologyRepo;
  let dir: string;
  let child: ChildProcess;
  let url: string;
  let output = '';
  const token = newToken();

  beforeAll(async () => {
    const [hubPort, spokePort] = [await freePort(), await freePort()];
    repo = createTopologyRepo();
    repo.commit('topology', {
      'topology/all.yaml': `apiVersion: ferry/v1
kind: Site
metadata: {name: hub}
spec:
  url: http://127.0.0.1:${hubPort}
  incoming: [{name: spokes, tokenSha256: ${token.sha256}, access: read, feeds: ["*"]}]
---
apiVersion: ferry/v1
kind: Site
metadata: {name: spoke}
spec:
  url: http://127.0.0.1:${spokePort}
  windows: [${closedWindow()}]
---
apiVersion: ferry/v1
kind: Feed
metadata: {name: apps}
spec: {type: oci, sites: [hub, spoke]}
---
apiVersion: ferry/v1
kind: Replication
metadata: {name: apps-to-spoke}
spec:
  mode: pull
  source: {site: hub, feed: apps}
  target: {sites: [spoke]}
  token: {secretRef: {env: FERRY_TOKEN_HUB}}
`,
    });
    dir = mkdtempSync(join(tmpdir(), 'ferry-cli-controller-'));
    writeFileSync(join(dir, 'site.yaml'), `site: spoke\ntopology: {url: ${repo.dir}, ref: main, path: topology, pollInterval: 1h}\ndataDir: ./data\nlisten: 127.0.0.1:${spokePort}\n`);
    child = spawn(process.execPath, ['bin/ferry.js', 'controller', '--config', join(dir, 'site.yaml')], {
      env: { ...process.env, FERRY_TOKEN_HUB: token.token, FERRY_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (c: Buffer) => void (output += c.toString()));
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`controller did not start: ${output}`)), 30_000);
      child.stderr?.on('data', (c: Buffer) => {
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(c.toString());
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.once('exit', (code) => reject(new Error(`controller exited with ${code}: ${output}`)));
    });
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    repo?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers /healthz, /readyz and /metrics', async () => {
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('ferry_topology_applied_info{commit="');
    expect(metrics).toContain('ferry_topology_stalled 0');
  });

  it('a run outside the sync window is skipped and waits for the window', async () => {
    const result = await ferry(['run', 'apps-to-spoke', '--url', url]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ result: 'skipped' });
    const status = await ferry(['status', '--url', url, '--format', 'json']);
    const view = JSON.parse(status.stdout) as { replications: Array<{ conditions: Array<{ type: string; reason: string }> }> };
    expect(view.replications[0]?.conditions.find((c) => c.type === 'Ready')?.reason).toBe('OutsideWindow');
  });

  it('ferry status prints the site, its commit, feeds and replications', async () => {
    const result = await ferry(['status', '--url', url]);
    expect(result.stdout).toMatch(/^site spoke$/m);
    expect(result.stdout).toMatch(/applied commit {3}[0-9a-f]{12}/);
    expect(result.stdout).toMatch(/apps-to-spoke \[pull\] apps → apps/);
    expect(result.stdout).toMatch(/last run: skipped/);
  });

  it('logs are JSON lines without the sync token', () => {
    const lines = output.trim().split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(output).toContain('"msg":"topology applied"');
    expect(output).not.toContain(token.token);
  });

  it('shuts down cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('"msg":"shutting down"');
  });
});
