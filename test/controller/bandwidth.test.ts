/**
 * `Site.spec.bandwidth` caps the replication traffic a site starts, across all its transfers:
 * two replications pulling at once share one cap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopologyRepo, type TopologyRepo } from '../helpers/topology-repo.js';
import { freePort, hubSiteYaml, newToken, siteHarness } from '../helpers/controllers.js';
import { randomImage, pushBuilt } from '../helpers/oci-content.js';
import { createRegistryClient } from '../../src/oci/index.js';
import type { RunningController } from '../../src/controller/controller.js';

const read = newToken();
const write = newToken();
const tokenEnv = `FERRY_BW_TOKEN_${process.pid}`;

describe('controller: bandwidth cap', () => {
  const harness = siteHarness();
  let repo: TopologyRepo;
  let spoke: RunningController;

  beforeAll(async () => {
    const [hubPort, spokePort] = [await freePort(), await freePort()];
    const replication = (name: string, feed: string) => `---
apiVersion: ferry/v1
kind: Replication
metadata: {name: ${name}}
spec:
  mode: pull
  source: {site: hub, feed: ${feed}}
  target: {sites: [spoke]}
  token: {secretRef: {env: ${tokenEnv}}}
`;
    repo = createTopologyRepo();
    repo.commit('capped spoke', {
      'topology/all.yaml': `${hubSiteYaml('hub', hubPort, read, write)}---
apiVersion: ferry/v1
kind: Site
metadata: {name: spoke}
spec: {url: "http://127.0.0.1:${spokePort}", bandwidth: 4Mbit/s}
---
apiVersion: ferry/v1
kind: Feed
metadata: {name: one}
spec: {type: oci, sites: [hub, spoke]}
---
apiVersion: ferry/v1
kind: Feed
metadata: {name: two}
spec: {type: oci, sites: [hub, spoke]}
${replication('one-to-spoke', 'one')}${replication('two-to-spoke', 'two')}`,
    });
    process.env[tokenEnv] = read.token;
    await harness.start('hub', hubPort, repo.dir);
    spoke = await harness.start('spoke', spokePort, repo.dir);
    const c = createRegistryClient({ registry: `127.0.0.1:${hubPort}`, plainHttp: true, auth: { token: write.token } });
    await pushBuilt(c, 'one/a', randomImage({ layers: [600_000] }), 'v1');
    await pushBuilt(c, 'two/b', randomImage({ layers: [600_000] }), 'v1');
    c.close();
  });
  afterAll(async () => {
    await harness.stopAll();
    repo?.cleanup();
    delete process.env[tokenEnv];
  });

  it('holds 4 Mbit/s (500 kB/s) across two concurrent replications', async () => {
    const started = performance.now();
    const outcomes = await Promise.all([spoke.scheduler.trigger('one-to-spoke'), spoke.scheduler.trigger('two-to-spoke')]);
    const elapsed = performance.now() - started;
    expect(outcomes.map((o) => o?.result)).toEqual(['succeeded', 'succeeded']);
    const bytes = outcomes.reduce((sum, o) => sum + (o?.bytes ?? 0), 0);
    expect(bytes).toBeGreaterThan(1_200_000);
    // ~1.2 MB at 500 kB/s with a 125 kB burst: at least ~2.1 s; uncapped this takes milliseconds.
    expect(elapsed).toBeGreaterThan(1_900);
  });
});
