/**
 * End to end: a hub and a spoke controller on loopback, topology in a real Git repository,
 * an image pushed to the hub over /v2 with a write token, pulled by the spoke through the
 * hub's change feed with a read token (feed name mapping hub `containers` → spoke `store-containers`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopologyRepo, type TopologyRepo } from '../helpers/topology-repo.js';
import { freePort, newToken, siteHarness, type TestToken } from '../helpers/controllers.js';
import { artifact, randomImage, pushBuilt } from '../helpers/oci-content.js';
import { createRegistryClient } from '../../src/oci/index.js';
import type { RunningController } from '../../src/controller/controller.js';

function topology(hubPort: number, spokePort: number, read: TestToken, write: TestToken, tokenEnv: string, extra = ''): Record<string, string> {
  return {
    'topology/sites.yaml': `apiVersion: ferry/v1
kind: Site
metadata: {name: hub, labels: {role: hub}}
spec:
  url: http://127.0.0.1:${hubPort}
  incoming:
    - {name: spokes, tokenSha256: ${read.sha256}, access: read, feeds: ["*"]}
    - {name: publisher, tokenSha256: ${write.sha256}, access: write, feeds: ["*"]}
---
apiVersion: ferry/v1
kind: Site
metadata: {name: spoke-a, labels: {role: store}}
spec:
  url: http://127.0.0.1:${spokePort}
`,
    'topology/feeds.yaml': `apiVersion: ferry/v1
kind: Feed
metadata: {name: containers}
spec: {type: oci, sites: [hub]}
---
apiVersion: ferry/v1
kind: Feed
metadata: {name: store-containers}
spec: {type: oci, siteSelector: {matchLabels: {role: store}}}
`,
    'topology/replications.yaml': `apiVersion: ferry/v1
kind: Replication
metadata: {name: containers-to-stores}
spec:
  mode: pull
  source: {site: hub, feed: containers}
  target: {siteSelector: {matchLabels: {role: store}}, feed: store-containers}
  deletes: propagate
  token: {secretRef: {env: ${tokenEnv}}}
${extra}`,
  };
}

describe('controller: pull replication hub → spoke', () => {
  const harness = siteHarness();
  let repo: TopologyRepo;
  let hub: RunningController;
  let spoke: RunningController;
  const read = newToken();
  const write = newToken();
  const tokenEnv = `FERRY_TEST_TOKEN_${process.pid}`;
  const requests: string[] = [];

  beforeAll(async () => {
    const [hubPort, spokePort] = [await freePort(), await freePort()];
    repo = createTopologyRepo();
    repo.commit('initial topology', topology(hubPort, spokePort, read, write, tokenEnv));
    process.env[tokenEnv] = read.token;
    hub = await harness.start('hub', hubPort, repo.dir);
    spoke = await harness.start('spoke-a', spokePort, repo.dir, { onPeerRequest: (method, url) => void requests.push(`${method} ${url}`) });
  });
  afterAll(async () => {
    await harness.stopAll();
    repo?.cleanup();
    delete process.env[tokenEnv];
  });

  it('applies the topology on both sites', async () => {
    expect(hub.reconciler.commit).toMatch(/^[0-9a-f]{40}$/);
    expect((await hub.store.feedList()).map((f) => f.name)).toEqual(['containers']);
    expect((await spoke.store.feedList()).map((f) => f.name)).toEqual(['store-containers']);
    expect(spoke.scheduler.names()).toEqual(['containers-to-stores']);
    expect(hub.scheduler.names()).toEqual([]);
    const page = await fetch(`${spoke.url}/`);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('<b>containers-to-stores</b>');
  });

  it('copies an image pushed to the hub to the spoke, byte-identical', async () => {
    const publisher = createRegistryClient({ registry: new URL(hub.url).host, plainHttp: true, auth: { token: write.token } });
    const image = randomImage({ layers: [4096, 70_000] });
    const pushed = await pushBuilt(publisher, 'containers/apps/web', image, 'v1.0.0');
    publisher.close();

    const outcome = await spoke.scheduler.trigger('containers-to-stores');
    expect(outcome?.result).toBe('succeeded');
    const held = await spoke.store.tagGet('store-containers/apps/web', 'v1.0.0');
    expect(held?.digest).toBe(pushed.digest);
    expect(held?.origin).toBe('replication:containers-to-stores');
    for (const b of image.blobs) expect(await spoke.store.blobHead('store-containers/apps/web', b.descriptor.digest)).toBe(b.data.length);
  });

  it('carries referrers (signatures, SBOMs) of a replicated image along', async () => {
    const publisher = createRegistryClient({ registry: new URL(hub.url).host, plainHttp: true, auth: { token: write.token } });
    const image = await pushBuilt(publisher, 'containers/apps/signed', randomImage(), 'v1');
    const signature = artifact({ artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json', files: [{ name: 'sig', data: Buffer.from('signature') }], subject: image });
    const signatureDescriptor = await pushBuilt(publisher, 'containers/apps/signed', signature);
    publisher.close();
    expect((await spoke.scheduler.trigger('containers-to-stores'))?.result).toBe('succeeded');
    const referrers = await spoke.store.referrers('store-containers/apps/signed', image.digest);
    expect(referrers.map((r) => r.digest)).toEqual([signatureDescriptor.digest]);

    // A second signature added after the image was replicated follows on the next run.
    const again = createRegistryClient({ registry: new URL(hub.url).host, plainHttp: true, auth: { token: write.token } });
    const late = await pushBuilt(again, 'containers/apps/signed', artifact({ artifactType: 'application/spdx+json', files: [{ name: 'sbom', data: Buffer.from('{}') }], subject: image }));
    again.close();
    expect((await spoke.scheduler.trigger('containers-to-stores'))?.result).toBe('succeeded');
    const after = await spoke.store.referrers('store-containers/apps/signed', image.digest);
    expect(after.map((r) => r.digest).sort()).toEqual([signatureDescriptor.digest, late.digest].sort());
  });

  it('costs one request to the hub when nothing changed', async () => {
    requests.length = 0;
    const outcome = await spoke.scheduler.trigger('containers-to-stores');
    expect(outcome?.result).toBe('succeeded');
    expect(outcome?.items).toBe(0);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatch(/^GET .*\/api\/v1\/feeds\/containers\/changes\?since=\d+/);
  });

  it('propagates a delete of replicated content', async () => {
    const publisher = createRegistryClient({ registry: new URL(hub.url).host, plainHttp: true, auth: { token: write.token } });
    const second = await pushBuilt(publisher, 'containers/apps/api', randomImage(), 'v2');
    await spoke.scheduler.trigger('containers-to-stores');
    expect((await spoke.store.tagGet('store-containers/apps/api', 'v2'))?.digest).toBe(second.digest);
    publisher.close();
    await hub.store.tagDelete('containers/apps/api', 'v2');
    const outcome = await spoke.scheduler.trigger('containers-to-stores');
    expect(outcome?.result).toBe('succeeded');
    expect(await spoke.store.tagGet('store-containers/apps/api', 'v2')).toBeUndefined();
    expect(await spoke.store.tagGet('store-containers/apps/web', 'v1.0.0')).toBeDefined();
  });

  it('reports a wrong token as ReplicationFailed naming the 401 and the token hint', async () => {
    process.env[tokenEnv] = newToken().token;
    try {
      const outcome = await spoke.scheduler.trigger('containers-to-stores');
      expect(outcome?.result).toBe('failed');
      expect(outcome?.error?.code).toBe('REPLICATION_PEER_UNAUTHORIZED');
      const failed = spoke.state.conditions().find((c) => c.kind === 'Replication' && c.type === 'ReplicationFailed');
      expect(failed?.status).toBe('True');
      expect(failed?.message).toContain('401');
      expect(failed?.message).toContain(`env ${tokenEnv}`);
      expect(failed?.message).not.toContain(process.env[tokenEnv]!);
      const metrics = await (await fetch(`${spoke.url}/metrics`)).text();
      expect(metrics).toMatch(/ferry_replication_failures_total\{replication="containers-to-stores",code="REPLICATION_PEER_UNAUTHORIZED"\} 1/);
      expect(metrics).toMatch(/ferry_replication_bytes_total\{replication="containers-to-stores"\} [1-9]\d*/);
      expect(metrics).toMatch(/ferry_replication_last_success_timestamp_seconds\{replication="containers-to-stores"\} \d+/);
      expect(metrics).toMatch(/ferry_replication_lag_seconds\{replication="containers-to-stores"\} [\d.]+/);
      expect(metrics).toMatch(/ferry_replication_failing\{replication="containers-to-stores"\} 1/);
    } finally {
      process.env[tokenEnv] = read.token;
    }
  });
});

describe('controller: status page', () => {
  it('renders escaped HTML with conditions and replications', async () => {
    const { renderStatusPage } = await import('../../src/controller/status-page.js');
    const html = renderStatusPage({
      site: 'spoke-a', appliedCommit: 'a'.repeat(40), rejectedCommit: null, feeds: [{ name: 'store', type: 'oci', retired: false }],
      conditions: [{ kind: 'Site', name: 'spoke-a', type: 'Stalled', status: 'True', reason: 'InvalidTopology', message: 'x.yaml:3:1: <script>', lastTransitionTime: '' }],
      replications: [{ name: 'r', mode: 'pull', localFeed: 'store', remoteFeed: 'hub', running: false, lastRun: null, conditions: [] }],
    });
    expect(html).toContain('ferry · site spoke-a');
    expect(html).toContain('x.yaml:3:1: &lt;script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('hub → store');
  });
});
