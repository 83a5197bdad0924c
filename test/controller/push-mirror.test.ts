/**
 * Push and mirror end to end between real controllers on loopback.
 * push: the hub uploads to the spoke's /v2 with a write token the spoke's incoming rule accepts.
 * mirror: a standby and production converge both ways; a delete on one side reaches the other;
 * a conflict (same tag changed on both sides) is recorded and reported, newest change wins.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopologyRepo, type TopologyRepo } from '../helpers/topology-repo.js';
import { freePort, newToken, siteHarness } from '../helpers/controllers.js';
import { randomImage, pushBuilt } from '../helpers/oci-content.js';
import { createRegistryClient } from '../../src/oci/index.js';
import type { RunningController } from '../../src/controller/controller.js';

const pushToken = newToken();
const mirrorToken = newToken();
const publisher = newToken();
const env = { push: `FERRY_PUSH_TOKEN_${process.pid}`, mirror: `FERRY_MIRROR_TOKEN_${process.pid}` };

function topology(p: { hub: number; spoke: number; standby: number }): Record<string, string> {
  return {
    'topology/all.yaml': `apiVersion: ferry/v1
kind: Site
metadata: {name: hub}
spec:
  url: http://127.0.0.1:${p.hub}
  incoming:
    - {name: publisher, tokenSha256: ${publisher.sha256}, access: write, feeds: ["*"]}
    - {name: standby, tokenSha256: ${mirrorToken.sha256}, access: write, feeds: [prod]}
---
apiVersion: ferry/v1
kind: Site
metadata: {name: spoke}
spec:
  url: http://127.0.0.1:${p.spoke}
  incoming:
    - {name: hub-push, tokenSha256: ${pushToken.sha256}, access: write, feeds: [edge]}
---
apiVersion: ferry/v1
kind: Site
metadata: {name: standby}
spec:
  url: http://127.0.0.1:${p.standby}
  incoming:
    - {name: publisher, tokenSha256: ${publisher.sha256}, access: write, feeds: ["*"]}
---
apiVersion: ferry/v1
kind: Feed
metadata: {name: apps}
spec: {type: oci, sites: [hub]}
---
apiVersion: ferry/v1
kind: Feed
metadata: {name: edge}
spec: {type: oci, sites: [spoke]}
---
apiVersion: ferry/v1
kind: Feed
metadata: {name: prod}
spec: {type: oci, sites: [hub, standby]}
---
apiVersion: ferry/v1
kind: Replication
metadata: {name: apps-to-spoke}
spec:
  mode: push
  source: {site: hub, feed: apps}
  target: {sites: [spoke], feed: edge}
  deletes: propagate
  token: {secretRef: {env: ${env.push}}}
---
apiVersion: ferry/v1
kind: Replication
metadata: {name: prod-dr}
spec:
  mode: mirror
  source: {site: hub, feed: prod}
  target: {sites: [standby]}
  token: {secretRef: {env: ${env.mirror}}}
`,
  };
}

describe('controller: push and mirror', () => {
  const harness = siteHarness();
  let repo: TopologyRepo;
  let hub: RunningController;
  let spoke: RunningController;
  let standby: RunningController;
  const client = (c: RunningController) => createRegistryClient({ registry: new URL(c.url).host, plainHttp: true, auth: { token: publisher.token } });

  beforeAll(async () => {
    const ports = { hub: await freePort(), spoke: await freePort(), standby: await freePort() };
    repo = createTopologyRepo();
    repo.commit('push and mirror', topology(ports));
    process.env[env.push] = pushToken.token;
    process.env[env.mirror] = mirrorToken.token;
    hub = await harness.start('hub', ports.hub, repo.dir);
    spoke = await harness.start('spoke', ports.spoke, repo.dir);
    standby = await harness.start('standby', ports.standby, repo.dir);
  });
  afterAll(async () => {
    await harness.stopAll();
    repo?.cleanup();
    delete process.env[env.push];
    delete process.env[env.mirror];
  });

  it('push: the hub uploads new content to the spoke and propagates a delete', async () => {
    expect(hub.scheduler.names()).toEqual(['apps-to-spoke']);
    expect(spoke.scheduler.names()).toEqual([]);
    const c = client(hub);
    const pushed = await pushBuilt(c, 'apps/kiosk', randomImage(), '3.1');
    c.close();
    const outcome = await hub.scheduler.trigger('apps-to-spoke');
    expect(outcome?.result).toBe('succeeded');
    expect((await spoke.store.tagGet('edge/kiosk', '3.1'))?.digest).toBe(pushed.digest);

    await hub.store.tagDelete('apps/kiosk', '3.1');
    expect((await hub.scheduler.trigger('apps-to-spoke'))?.result).toBe('succeeded');
    expect(await spoke.store.tagGet('edge/kiosk', '3.1')).toBeUndefined();
  });

  it('mirror: content and deletes travel both ways', async () => {
    expect(standby.scheduler.names()).toEqual(['prod-dr']);
    const onHub = client(hub);
    const onStandby = client(standby);
    const fromHub = await pushBuilt(onHub, 'prod/db', randomImage(), 'a');
    const fromStandby = await pushBuilt(onStandby, 'prod/db', randomImage(), 'b');
    expect((await standby.scheduler.trigger('prod-dr'))?.result).toBe('succeeded');
    expect((await standby.store.tagGet('prod/db', 'a'))?.digest).toBe(fromHub.digest);
    expect((await hub.store.tagGet('prod/db', 'b'))?.digest).toBe(fromStandby.digest);

    await standby.store.tagDelete('prod/db', 'a');
    await hub.store.tagDelete('prod/db', 'b');
    expect((await standby.scheduler.trigger('prod-dr'))?.result).toBe('succeeded');
    expect(await hub.store.tagGet('prod/db', 'a')).toBeUndefined();
    expect(await standby.store.tagGet('prod/db', 'b')).toBeUndefined();
    onHub.close();
    onStandby.close();
  });

  it('mirror: a conflict is recorded and reported; the most recent change wins', async () => {
    const onHub = client(hub);
    const onStandby = client(standby);
    await pushBuilt(onHub, 'prod/web', randomImage(), 'live');
    await standby.scheduler.trigger('prod-dr');
    await pushBuilt(onStandby, 'prod/web', randomImage(), 'live');
    await new Promise((r) => setTimeout(r, 20));
    const newest = await pushBuilt(onHub, 'prod/web', randomImage(), 'live');
    expect((await standby.scheduler.trigger('prod-dr'))?.result).toBe('succeeded');
    expect((await standby.store.tagGet('prod/web', 'live'))?.digest).toBe(newest.digest);
    expect((await hub.store.tagGet('prod/web', 'live'))?.digest).toBe(newest.digest);
    const conflicts = standby.state.conflicts('prod-dr');
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]).toMatchObject({ repository: 'web', tag: 'live', remoteDigest: newest.digest, winner: 'remote' });
    const view = await (await fetch(`${standby.url}/api/v1/replications/prod-dr`)).json() as { conflicts: unknown[] };
    expect(view.conflicts).toHaveLength(1);
    onHub.close();
    onStandby.close();
  });
});
