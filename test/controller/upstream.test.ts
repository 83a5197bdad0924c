/**
 * A hub fed from an external registry (`Upstream`, a real CNCF distribution registry on
 * loopback): tag listing + digests, filters, deletes propagated only for what ferry replicated,
 * and the guard that refuses to empty the hub when the upstream suddenly lists nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { createTopologyRepo, type TopologyRepo } from '../helpers/topology-repo.js';
import { freePort, siteHarness } from '../helpers/controllers.js';
import { randomImage, pushBuilt } from '../helpers/oci-content.js';
import { createRegistryClient, type RegistryClient } from '../../src/oci/index.js';
import type { RunningController } from '../../src/controller/controller.js';

describe('controller: pull from an Upstream registry', () => {
  const harness = siteHarness();
  let registry: RunningRegistry;
  let upstream: RegistryClient;
  let repo: TopologyRepo;
  let hub: RunningController;
  const digests: Record<string, string> = {};
  const requests: string[] = [];

  beforeAll(async () => {
    registry = await startRegistry();
    upstream = createRegistryClient({ registry: registry.host, plainHttp: true });
    for (const tag of ['v1.0.0', 'v1.1.0', 'latest']) digests[tag] = (await pushBuilt(upstream, 'library/app', randomImage(), tag)).digest;
    await pushBuilt(upstream, 'library/other', randomImage(), 'v9');
    const port = await freePort();
    repo = createTopologyRepo();
    repo.commit('upstream', {
      'topology/all.yaml': `apiVersion: ferry/v1
kind: Site
metadata: {name: hub}
spec: {url: "http://127.0.0.1:${port}"}
---
apiVersion: ferry/v1
kind: Feed
metadata: {name: mirror}
spec: {type: oci, sites: [hub]}
---
apiVersion: ferry/v1
kind: Upstream
metadata: {name: corp-registry}
spec: {type: oci, url: "${registry.url}"}
---
apiVersion: ferry/v1
kind: Replication
metadata: {name: corp-to-hub}
spec:
  mode: pull
  source: {upstream: corp-registry, repositories: [library/app, library/other]}
  target: {sites: [hub], feed: mirror}
  filter: {include: ["library/app"], tags: ["v*"]}
  deletes: propagate
`,
    });
    hub = await harness.start('hub', port, repo.dir, { onPeerRequest: (m, u) => void requests.push(`${m} ${u}`) });
  });
  afterAll(async () => {
    await harness.stopAll();
    upstream?.close();
    await registry?.stop();
    repo?.cleanup();
  });

  it('copies the filtered tags, byte-identical digests', async () => {
    const outcome = await hub.scheduler.trigger('corp-to-hub');
    expect(outcome).toMatchObject({ result: 'succeeded', items: 2 });
    expect((await hub.store.tagGet('mirror/library/app', 'v1.0.0'))?.digest).toBe(digests['v1.0.0']);
    expect((await hub.store.tagGet('mirror/library/app', 'v1.1.0'))?.digest).toBe(digests['v1.1.0']);
    expect(await hub.store.tagGet('mirror/library/app', 'latest')).toBeUndefined();
    expect(await hub.store.repositoryList('mirror')).toEqual(['mirror/library/app']);
  });

  it('an unchanged upstream costs a tag list and one HEAD per tag, no blob transfer', async () => {
    requests.length = 0;
    const outcome = await hub.scheduler.trigger('corp-to-hub');
    expect(outcome).toMatchObject({ result: 'succeeded', items: 0, bytes: 0 });
    expect(requests.filter((r) => r.startsWith('GET') && r.includes('/blobs/'))).toHaveLength(0);
    expect(requests.filter((r) => r.startsWith('HEAD') && r.includes('/manifests/'))).toHaveLength(2);
  });

  it('propagates an upstream delete of replicated content', async () => {
    await upstream.manifestDelete('library/app', digests['v1.0.0']!);
    const outcome = await hub.scheduler.trigger('corp-to-hub');
    expect(outcome?.result).toBe('succeeded');
    expect(await hub.store.tagGet('mirror/library/app', 'v1.0.0')).toBeUndefined();
    expect(await hub.store.tagGet('mirror/library/app', 'v1.1.0')).toBeDefined();
  });

  it('refuses to empty the hub when the upstream suddenly lists nothing', async () => {
    await upstream.manifestDelete('library/app', digests['v1.1.0']!);
    await upstream.manifestDelete('library/app', digests['latest']!);
    const outcome = await hub.scheduler.trigger('corp-to-hub');
    expect(outcome?.result).toBe('failed');
    expect(outcome?.error?.code).toBe('REPLICATION_DELETE_GUARD');
    expect(await hub.store.tagGet('mirror/library/app', 'v1.1.0')).toBeDefined();
    const failed = hub.state.conditions().find((c) => c.kind === 'Replication' && c.type === 'ReplicationFailed');
    expect(failed?.reason).toBe('REPLICATION_DELETE_GUARD');
  });
});
