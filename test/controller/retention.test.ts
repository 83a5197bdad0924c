/**
 * Feed retention on the maintenance pass: `keepLatest` per repository at the hub; the removal is
 * an ordinary change-log delete, so a spoke pulling with `deletes: propagate` follows it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopologyRepo, type TopologyRepo } from '../helpers/topology-repo.js';
import { freePort, hubSiteYaml, newToken, siteHarness } from '../helpers/controllers.js';
import { randomImage, pushBuilt } from '../helpers/oci-content.js';
import { createRegistryClient } from '../../src/oci/index.js';
import type { RunningController } from '../../src/controller/controller.js';

const read = newToken();
const write = newToken();
const tokenEnv = `FERRY_RET_TOKEN_${process.pid}`;

describe('controller: retention', () => {
  const harness = siteHarness();
  let repo: TopologyRepo;
  let hub: RunningController;
  let spoke: RunningController;

  beforeAll(async () => {
    const [hubPort, spokePort] = [await freePort(), await freePort()];
    repo = createTopologyRepo();
    repo.commit('retention', {
      'topology/all.yaml': `${hubSiteYaml('hub', hubPort, read, write)}---
apiVersion: ferry/v1
kind: Site
metadata: {name: spoke}
spec: {url: "http://127.0.0.1:${spokePort}"}
---
apiVersion: ferry/v1
kind: Feed
metadata: {name: builds}
spec: {type: oci, sites: [hub], retention: {keepLatest: 2}}
---
apiVersion: ferry/v1
kind: Feed
metadata: {name: edge-builds}
spec: {type: oci, sites: [spoke]}
---
apiVersion: ferry/v1
kind: Replication
metadata: {name: builds-to-spoke}
spec:
  mode: pull
  source: {site: hub, feed: builds}
  target: {sites: [spoke], feed: edge-builds}
  deletes: propagate
  token: {secretRef: {env: ${tokenEnv}}}
`,
    });
    process.env[tokenEnv] = read.token;
    hub = await harness.start('hub', hubPort, repo.dir);
    spoke = await harness.start('spoke', spokePort, repo.dir);
  });
  afterAll(async () => {
    await harness.stopAll();
    repo?.cleanup();
    delete process.env[tokenEnv];
  });

  it('keeps the newest tags per repository and the spoke follows', async () => {
    const c = createRegistryClient({ registry: new URL(hub.url).host, plainHttp: true, auth: { token: write.token } });
    for (const tag of ['1', '2', '3']) {
      await pushBuilt(c, 'builds/app', randomImage(), tag);
      await new Promise((r) => setTimeout(r, 15)); // distinct update times
    }
    c.close();
    await spoke.scheduler.trigger('builds-to-spoke');
    expect((await spoke.store.tagRecords({ repository: 'edge-builds/app' })).map((t) => t.tag).sort()).toEqual(['1', '2', '3']);

    await hub.maintain();
    expect((await hub.store.tagRecords({ repository: 'builds/app' })).map((t) => t.tag).sort()).toEqual(['2', '3']);
    expect((await spoke.scheduler.trigger('builds-to-spoke'))?.result).toBe('succeeded');
    expect((await spoke.store.tagRecords({ repository: 'edge-builds/app' })).map((t) => t.tag).sort()).toEqual(['2', '3']);
  });
});
