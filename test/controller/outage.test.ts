/**
 * Edge realities end to end: a multi-hub chain (main hub → secondary hub → spoke), a hub that
 * goes down and comes back (the spoke fails with a clear condition, then catches up), and a
 * fallback hub used while the primary is down (and the primary again once it returns).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopologyRepo, type TopologyRepo } from '../helpers/topology-repo.js';
import { freePort, hubSiteYaml, newToken, siteHarness } from '../helpers/controllers.js';
import { randomImage, pushBuilt } from '../helpers/oci-content.js';
import { createRegistryClient } from '../../src/oci/index.js';
import { startController, type RunningController } from '../../src/controller/controller.js';

const read = newToken();
const write = newToken();
const tokenEnv = `FERRY_OUTAGE_TOKEN_${process.pid}`;

function topology(p: { main: number; asia: number; spoke: number }): Record<string, string> {
  const hub = (name: string, port: number, role: string) => `---\n${hubSiteYaml(name, port, read, write, `role: ${role}`)}`;
  return {
    'topology/sites.yaml': hub('hub-us', p.main, 'hub') + hub('hub-asia', p.asia, 'hub') + `---
apiVersion: ferry/v1
kind: Site
metadata: {name: store-asia-1, labels: {role: store}}
spec: {url: "http://127.0.0.1:${p.spoke}"}
`,
    'topology/feeds.yaml': `apiVersion: ferry/v1
kind: Feed
metadata: {name: containers}
spec: {type: oci, siteSelector: {matchLabels: {role: hub}}}
---
apiVersion: ferry/v1
kind: Feed
metadata: {name: store-containers}
spec: {type: oci, sites: [store-asia-1]}
`,
    'topology/replications.yaml': `apiVersion: ferry/v1
kind: Replication
metadata: {name: us-to-asia}
spec:
  mode: pull
  source: {site: hub-us, feed: containers}
  target: {sites: [hub-asia]}
  token: {secretRef: {env: ${tokenEnv}}}
---
apiVersion: ferry/v1
kind: Replication
metadata: {name: asia-to-stores}
spec:
  mode: pull
  source: {site: hub-asia, feed: containers}
  target: {sites: [store-asia-1], feed: store-containers}
  fallback: [hub-us]
  token: {secretRef: {env: ${tokenEnv}}}
`,
  };
}

describe('controller: multi-hub, outages and fallback', () => {
  const harness = siteHarness();
  let repo: TopologyRepo;
  let main: RunningController;
  let asia: RunningController;
  let spoke: RunningController;
  let ports: { main: number; asia: number; spoke: number };

  beforeAll(async () => {
    ports = { main: await freePort(), asia: await freePort(), spoke: await freePort() };
    repo = createTopologyRepo();
    repo.commit('multi-hub', topology(ports));
    process.env[tokenEnv] = read.token;
    main = await harness.start('hub-us', ports.main, repo.dir);
    asia = await harness.start('hub-asia', ports.asia, repo.dir);
    spoke = await harness.start('store-asia-1', ports.spoke, repo.dir);
  });
  afterAll(async () => {
    await harness.stopAll();
    repo?.cleanup();
    delete process.env[tokenEnv];
  });

  it('content published at the main hub reaches a spoke through the secondary hub', async () => {
    const c = createRegistryClient({ registry: `127.0.0.1:${ports.main}`, plainHttp: true, auth: { token: write.token } });
    const pushed = await pushBuilt(c, 'containers/pos', randomImage(), '1');
    c.close();
    expect((await asia.scheduler.trigger('us-to-asia'))?.result).toBe('succeeded');
    const outcome = await spoke.scheduler.trigger('asia-to-stores');
    expect(outcome).toMatchObject({ result: 'succeeded', peer: 'hub-asia' });
    expect((await spoke.store.tagGet('store-containers/pos', '1'))?.digest).toBe(pushed.digest);
  });

  it('pulls from the fallback while the primary is down, and from the primary when it returns', async () => {
    const c = createRegistryClient({ registry: `127.0.0.1:${ports.main}`, plainHttp: true, auth: { token: write.token } });
    const pushed = await pushBuilt(c, 'containers/pos', randomImage(), '2');
    c.close();
    const asiaDir = harness.dirs[1]!;
    await asia.stop();

    const viaFallback = await spoke.scheduler.trigger('asia-to-stores');
    expect(viaFallback).toMatchObject({ result: 'succeeded', peer: 'hub-us' });
    expect((await spoke.store.tagGet('store-containers/pos', '2'))?.digest).toBe(pushed.digest);

    asia = await startController({ config: { site: 'hub-asia', topology: { url: repo.dir, ref: 'main', path: 'topology', pollInterval: '1h' }, dataDir: asiaDir, listen: `127.0.0.1:${ports.asia}` }, jitterMaxMs: 0 });
    harness.controllers.push(asia);
    const back = await spoke.scheduler.trigger('asia-to-stores');
    expect(back).toMatchObject({ result: 'succeeded', peer: 'hub-asia' });
  });

  it('a hub outage without fallback shows ReplicationFailed naming the connection, then catches up', async () => {
    const mainDir = harness.dirs[0]!;
    await main.stop();
    const failed = await asia.scheduler.trigger('us-to-asia');
    expect(failed?.result).toBe('failed');
    expect(failed?.error?.code).toBe('REPLICATION_PEER_UNREACHABLE');
    const condition = asia.state.conditions().find((c) => c.kind === 'Replication' && c.name === 'us-to-asia' && c.type === 'ReplicationFailed');
    expect(condition?.message).toContain(`hub-us at http://127.0.0.1:${ports.main}/`);
    expect(condition?.message).toContain('connection refused');
    const runs = asia.state.runs('us-to-asia', 1);
    expect(runs[0]?.log.filter((l) => l.includes('attempt')).length).toBeGreaterThanOrEqual(2); // retried with backoff

    main = await startController({ config: { site: 'hub-us', topology: { url: repo.dir, ref: 'main', path: 'topology', pollInterval: '1h' }, dataDir: mainDir, listen: `127.0.0.1:${ports.main}` }, jitterMaxMs: 0 });
    harness.controllers.push(main);
    const c = createRegistryClient({ registry: `127.0.0.1:${ports.main}`, plainHttp: true, auth: { token: write.token } });
    const pushed = await pushBuilt(c, 'containers/pos', randomImage(), '3');
    c.close();
    expect((await asia.scheduler.trigger('us-to-asia'))?.result).toBe('succeeded');
    expect((await asia.store.tagGet('containers/pos', '3'))?.digest).toBe(pushed.digest);
    expect(asia.state.conditions().find((c) => c.kind === 'Replication' && c.name === 'us-to-asia' && c.type === 'Ready')?.status).toBe('True');
  });
});
