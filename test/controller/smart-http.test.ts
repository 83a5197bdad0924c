/**
 * The whole product on loopback, as the issue's acceptance scenario describes it: a real Git
 * smart-HTTP server (`git http-backend`, Basic auth) serves the topology; controllers for a main
 * hub, a secondary hub and two spokes fetch it; `skopeo` pushes an image into the main hub with
 * a write token; both spokes (one directly, one through the secondary hub) hold it,
 * byte-identical, within a few replication intervals, on their own schedules. A signed webhook
 * delivery makes a controller apply a new commit without waiting for its poll.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitServer, createTopologyRepo, type RunningGitServer, type TopologyRepo } from '../helpers/git-server.js';
import { freePort, newToken, siteHarness } from '../helpers/controllers.js';
import { randomImage, pushBuilt } from '../helpers/oci-content.js';
import { createLayoutTarget } from '../../src/oci/index.js';
import type { RunningController } from '../../src/controller/controller.js';

const run = promisify(execFile);
const read = newToken();
const write = newToken();
const env = { token: `FERRY_SH_TOKEN_${process.pid}`, git: `FERRY_SH_GIT_${process.pid}`, hook: `FERRY_SH_HOOK_${process.pid}` };
const gitAuth = { username: 'ferry', password: 'git-secret-123' };
const webhookSecret = 'webhook-secret-456';

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function topology(p: Record<string, number>, extraFeed = ''): string {
  const site = (name: string, role: string, incoming: boolean) => `---
apiVersion: ferry/v1
kind: Site
metadata: {name: ${name}, labels: {role: ${role}}}
spec:
  url: http://127.0.0.1:${p[name]}
${incoming ? `  incoming:
    - {name: readers, tokenSha256: ${read.sha256}, access: read, feeds: ["*"]}
    - {name: publisher, tokenSha256: ${write.sha256}, access: write, feeds: ["*"]}
` : ''}`;
  return [
    site('hub-us', 'hub', true), site('hub-asia', 'hub', true), site('store-us-1', 'store', false), site('store-asia-1', 'store', false),
    `---
apiVersion: ferry/v1
kind: Feed
metadata: {name: containers}
spec: {type: oci, siteSelector: {matchLabels: {role: hub}}}
---
apiVersion: ferry/v1
kind: Feed
metadata: {name: store-containers}
spec: {type: oci, siteSelector: {matchLabels: {role: store}}}
${extraFeed}---
apiVersion: ferry/v1
kind: Replication
metadata: {name: us-to-asia}
spec:
  mode: pull
  source: {site: hub-us, feed: containers}
  target: {sites: [hub-asia]}
  schedule: "*/1 * * * * *"
  token: {secretRef: {env: ${env.token}}}
---
apiVersion: ferry/v1
kind: Replication
metadata: {name: us-stores}
spec:
  mode: pull
  source: {site: hub-us, feed: containers}
  target: {sites: [store-us-1], feed: store-containers}
  schedule: "*/1 * * * * *"
  token: {secretRef: {env: ${env.token}}}
---
apiVersion: ferry/v1
kind: Replication
metadata: {name: asia-stores}
spec:
  mode: pull
  source: {site: hub-asia, feed: containers}
  target: {sites: [store-asia-1], feed: store-containers}
  schedule: "*/1 * * * * *"
  token: {secretRef: {env: ${env.token}}}
`,
  ].join('');
}

describe('controller: topology over git smart HTTP, image pushed with skopeo, four sites', () => {
  const harness = siteHarness();
  let server: RunningGitServer;
  let repo: TopologyRepo;
  let ports: Record<string, number>;
  const sites: Record<string, RunningController> = {};
  let layoutDir: string;

  beforeAll(async () => {
    server = await startGitServer({ auth: gitAuth });
    repo = await createTopologyRepo({ root: server.root });
    ports = { 'hub-us': await freePort(), 'hub-asia': await freePort(), 'store-us-1': await freePort(), 'store-asia-1': await freePort() };
    await repo.write('topology/sites.yaml', topology(ports));
    await repo.commitAndPush('four sites');
    Object.assign(process.env, { [env.token]: read.token, [env.git]: `${gitAuth.username}:${gitAuth.password}`, [env.hook]: webhookSecret });
    const { startController } = await import('../../src/controller/controller.js');
    for (const name of Object.keys(ports)) {
      const dataDir = mkdtempSync(join(tmpdir(), `ferry-${name}-`));
      harness.dirs.push(dataDir);
      sites[name] = await startController({
        config: {
          site: name,
          topology: { url: `${server.url}/${repo.name}`, ref: 'main', path: 'topology', pollInterval: '1h', credentials: { secretRef: { env: env.git } } },
          dataDir, listen: `127.0.0.1:${ports[name]}`, webhook: { secretRef: { env: env.hook } },
        },
        jitterMaxMs: 0,
      });
      harness.controllers.push(sites[name]!);
    }
    layoutDir = mkdtempSync(join(tmpdir(), 'ferry-sh-layout-'));
  });
  afterAll(async () => {
    await harness.stopAll();
    await repo?.cleanup();
    await server?.stop();
    rmSync(layoutDir, { recursive: true, force: true });
    for (const name of Object.values(env)) delete process.env[name];
  });

  it('every site applied the commit it fetched over smart HTTP with credentials', () => {
    const commits = new Set(Object.values(sites).map((s) => s.reconciler.commit));
    expect(commits.size).toBe(1);
    expect([...commits][0]).toMatch(/^[0-9a-f]{40}$/);
    // The server refuses anonymous requests (401), so every 200 here was authenticated with the secretRef's credentials.
    expect(server.requests.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(4);
  });

  it('an image pushed with skopeo reaches both spokes byte-identical', async () => {
    await pushBuilt(createLayoutTarget(layoutDir), 'unused', randomImage({ layers: [200_000, 30_000] }), 'v1');
    await run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', '--dest-creds', `publisher:${write.token}`,
      `oci:${layoutDir}:v1`, `docker://127.0.0.1:${ports['hub-us']}/containers/pos/terminal:v1`], { timeout: 60_000 });
    const { stdout } = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', `reader:${read.token}`, `docker://127.0.0.1:${ports['hub-us']}/containers/pos/terminal:v1`]);
    const manifest = JSON.parse(stdout) as { layers: Array<{ digest: string; size: number }> };
    const hubTag = await sites['hub-us']!.store.tagGet('containers/pos/terminal', 'v1');
    expect(hubTag).toBeDefined();

    for (const spoke of ['store-us-1', 'store-asia-1']) {
      const held = await waitFor(`${spoke} to hold the image`, async () => (await sites[spoke]!.store.tagGet('store-containers/pos/terminal', 'v1')) ?? undefined);
      expect(held.digest).toBe(hubTag!.digest);
      for (const layer of manifest.layers) expect(await sites[spoke]!.store.blobHead('store-containers/pos/terminal', layer.digest)).toBe(layer.size);
    }
    expect(sites['store-asia-1']!.state.lastRun('asia-stores', 'succeeded')?.peer).toBe('hub-asia');
    expect(sites['store-asia-1']!.state.lastRun('asia-stores', 'succeeded')?.trigger).toBe('schedule');
  });

  it('a signed webhook delivery applies a new commit without waiting for the poll', async () => {
    await repo.write('topology/sites.yaml', topology(ports, `---
apiVersion: ferry/v1
kind: Feed
metadata: {name: store-files}
spec: {type: generic, siteSelector: {matchLabels: {role: store}}}
`));
    const commit = await repo.commitAndPush('add a files feed to the stores');
    const store = sites['store-us-1']!;
    const body = JSON.stringify({ ref: 'refs/heads/main', after: commit });
    const unsigned = await fetch(`${store.url}/hooks/git`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-github-event': 'push' } });
    expect(unsigned.status).toBe(401);
    const signature = 'sha256=' + createHmac('sha256', webhookSecret).update(body).digest('hex');
    const accepted = await fetch(`${store.url}/hooks/git`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': signature } });
    expect(accepted.status).toBe(202);
    await waitFor('the webhook-triggered commit', async () => (store.reconciler.commit === commit ? true : undefined), 15_000);
    expect((await store.store.feedList()).map((f) => f.name)).toContain('store-files');
    expect(sites['store-asia-1']!.reconciler.commit).not.toBe(commit); // polls hourly, got no webhook
  });
});
