/**
 * The GitOps loop end to end on a real Git repository: a new spoke converges, a renamed target
 * feed is followed, a removed replication stops, an invalid commit leaves every site on its last
 * good commit with `Stalled` and the file:line in status, and a restart re-applies the
 * last good commit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopologyRepo, type TopologyRepo } from '../helpers/topology-repo.js';
import { freePort, newToken, siteHarness } from '../helpers/controllers.js';
import { randomImage, pushBuilt } from '../helpers/oci-content.js';
import { createRegistryClient } from '../../src/oci/index.js';
import type { RunningController } from '../../src/controller/controller.js';

const read = newToken();
const write = newToken();
const tokenEnv = `FERRY_GITOPS_TOKEN_${process.pid}`;

function site(name: string, port: number, role: string, incoming = ''): string {
  return `---
apiVersion: ferry/v1
kind: Site
metadata: {name: ${name}, labels: {role: ${role}}}
spec:
  url: http://127.0.0.1:${port}
${incoming}`;
}

function files(ports: { hub: number; a: number; b?: number }, spokeFeed = 'store-containers', withReplication = true): Record<string, string | null> {
  const hubIncoming = `  incoming:
    - {name: spokes, tokenSha256: ${read.sha256}, access: read, feeds: ["*"]}
    - {name: publisher, tokenSha256: ${write.sha256}, access: write, feeds: ["*"]}
`;
  return {
    'topology/sites.yaml': site('hub', ports.hub, 'hub', hubIncoming) + site('spoke-a', ports.a, 'store') + (ports.b ? site('spoke-b', ports.b, 'store') : ''),
    'topology/feeds.yaml': `apiVersion: ferry/v1
kind: Feed
metadata: {name: containers}
spec: {type: oci, sites: [hub]}
---
apiVersion: ferry/v1
kind: Feed
metadata: {name: ${spokeFeed}}
spec: {type: oci, siteSelector: {matchLabels: {role: store}}}
`,
    'topology/replications.yaml': withReplication
      ? `apiVersion: ferry/v1
kind: Replication
metadata: {name: to-stores}
spec:
  mode: pull
  source: {site: hub, feed: containers}
  target: {siteSelector: {matchLabels: {role: store}}, feed: ${spokeFeed}}
  token: {secretRef: {env: ${tokenEnv}}}
`
      : null,
  };
}

describe('controller: GitOps loop', () => {
  const harness = siteHarness();
  let repo: TopologyRepo;
  let hub: RunningController;
  let spokeA: RunningController;
  let ports: { hub: number; a: number; b: number };
  let imageDigest: string;

  beforeAll(async () => {
    ports = { hub: await freePort(), a: await freePort(), b: await freePort() };
    repo = createTopologyRepo();
    repo.commit('hub and one spoke', files({ hub: ports.hub, a: ports.a }));
    process.env[tokenEnv] = read.token;
    hub = await harness.start('hub', ports.hub, repo.dir);
    spokeA = await harness.start('spoke-a', ports.a, repo.dir);
    const publisher = createRegistryClient({ registry: `127.0.0.1:${ports.hub}`, plainHttp: true, auth: { token: write.token } });
    imageDigest = (await pushBuilt(publisher, 'containers/pos', randomImage(), '1.0')).digest;
    publisher.close();
  });
  afterAll(async () => {
    await harness.stopAll();
    repo?.cleanup();
    delete process.env[tokenEnv];
  });

  it('a commit that adds a spoke makes it converge', async () => {
    const commit = repo.commit('add spoke-b', files(ports));
    const spokeB = await harness.start('spoke-b', ports.b, repo.dir);
    expect(spokeB.reconciler.commit).toBe(commit);
    await spokeB.scheduler.trigger('to-stores');
    expect((await spokeB.store.tagGet('store-containers/pos', '1.0'))?.digest).toBe(imageDigest);
    await spokeA.scheduler.trigger('to-stores');
    expect((await spokeA.store.tagGet('store-containers/pos', '1.0'))?.digest).toBe(imageDigest);
  });

  it('a commit that renames the target feed is followed', async () => {
    const commit = repo.commit('rename spoke feed', files(ports, 'pos-images'));
    await spokeA.reconcileNow();
    expect(spokeA.reconciler.commit).toBe(commit);
    const feeds = await spokeA.store.feedList();
    expect(feeds.find((f) => f.name === 'pos-images')?.retired).toBe(false);
    expect(feeds.find((f) => f.name === 'store-containers')?.retired).toBe(true);
    await spokeA.scheduler.trigger('to-stores');
    expect((await spokeA.store.tagGet('pos-images/pos', '1.0'))?.digest).toBe(imageDigest);
    // The retired feed is no longer served.
    const retired = await fetch(`${spokeA.url}/v2/store-containers/pos/manifests/1.0`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    expect(retired.status).toBeGreaterThanOrEqual(400);
  });

  it('a retired feed keeps its content until it is pruned explicitly', async () => {
    expect((await spokeA.store.feedGet('store-containers'))?.retired).toBe(true);
    expect(await spokeA.store.repositoryList('store-containers')).toEqual(['store-containers/pos']); // content kept
    const refused = await fetch(`${spokeA.url}/api/v1/feeds/pos-images/prune`, { method: 'POST' });
    expect(refused.status).toBe(409); // still in the topology
    const pruned = await fetch(`${spokeA.url}/api/v1/feeds/store-containers/prune`, { method: 'POST' });
    expect(pruned.status).toBe(200);
    expect(await spokeA.store.feedGet('store-containers')).toBeUndefined();
    expect((await spokeA.store.tagGet('pos-images/pos', '1.0'))?.digest).toBe(imageDigest); // shared blobs stay
  });

  it('a commit that rotates a token swaps the incoming rules without a restart', async () => {
    const rotated = newToken();
    const rotatedFiles = files(ports, 'pos-images');
    rotatedFiles['topology/sites.yaml'] = rotatedFiles['topology/sites.yaml']!.replace(write.sha256, rotated.sha256);
    repo.commit('rotate the publisher token', rotatedFiles);
    await hub.reconcileNow();
    const probe = async (token: string) => (await fetch(`${hub.url}/v2/containers/pos/tags/list`, { headers: { authorization: `Bearer ${token}` } })).status;
    expect(await probe(rotated.token)).toBe(200);
    expect(await probe(write.token)).toBe(401);
  });

  it('an invalid commit is not applied: Stalled with file:line, still on the last good commit', async () => {
    const good = spokeA.reconciler.commit;
    const broken = repo.commit('typo', { 'topology/replications.yaml': `apiVersion: ferry/v1
kind: Replication
metadata: {name: to-stores}
spec:
  mode: pull
  source: {site: hub, feed: containers}
  target: {sites: [spoke-zz], feed: pos-images}
` });
    await spokeA.reconcileNow();
    expect(spokeA.reconciler.commit).toBe(good);
    const stalled = spokeA.state.conditions().find((c) => c.kind === 'Site' && c.type === 'Stalled');
    expect(stalled?.status).toBe('True');
    expect(stalled?.observedCommit).toBe(broken);
    expect(stalled?.message).toMatch(/replications\.yaml:7:\d+/);
    expect(spokeA.scheduler.names()).toEqual(['to-stores']);
    const status = await (await fetch(`${spokeA.url}/api/v1/status`)).json() as { appliedCommit: string; rejectedCommit: string };
    expect(status.appliedCommit).toBe(good);
    expect(status.rejectedCommit).toBe(broken);
  });

  it('a commit that suspends the replication unschedules it', async () => {
    const suspended = files(ports, 'pos-images');
    suspended['topology/replications.yaml'] = `${suspended['topology/replications.yaml']}  suspend: true\n`;
    repo.commit('suspend', suspended);
    await spokeA.reconcileNow();
    expect(spokeA.scheduler.names()).toEqual([]);
    repo.commit('resume', files(ports, 'pos-images'));
    await spokeA.reconcileNow();
    expect(spokeA.scheduler.names()).toEqual(['to-stores']);
  });

  it('a commit that removes the replication stops it, and clears Stalled', async () => {
    repo.commit('remove replication', files(ports, 'pos-images', false));
    await spokeA.reconcileNow();
    expect(spokeA.scheduler.names()).toEqual([]);
    expect(spokeA.state.conditions().some((c) => c.type === 'Stalled')).toBe(false);
    expect(spokeA.state.conditions().some((c) => c.kind === 'Replication')).toBe(false);
  });

  it('a restarted controller re-applies its last good commit', async () => {
    const applied = spokeA.reconciler.commit;
    const dataDir = harness.dirs[1]!;
    await spokeA.stop();
    const { startController } = await import('../../src/controller/controller.js');
    const again = await startController({ config: { site: 'spoke-a', topology: { url: repo.dir, ref: 'main', path: 'topology', pollInterval: '1h' }, dataDir, listen: `127.0.0.1:${ports.a}` }, jitterMaxMs: 0 });
    harness.controllers.push(again);
    expect(again.reconciler.commit).toBe(applied);
    expect((await again.store.tagGet('pos-images/pos', '1.0'))?.digest).toBe(imageDigest);
  });
});
