import { describe, expect, it } from 'vitest';
import { DEFAULT_SCHEDULE, PlanErrorCode, ReplicationRole, planForSite, renderPlanText, type SitePlan } from '../../src/plan/index.js';
import { loadTopologyFiles, type Topology } from '../../src/topology/index.js';
import { isFerryError } from '../../src/errors/index.js';
import { loadExample } from './load-example.js';

function replication(plan: SitePlan, name: string) {
  const found = plan.replications.filter((r) => r.name === name);
  expect(found).toHaveLength(1);
  return found[0]!;
}

describe('planForSite: hub-and-spoke', () => {
  it("gives a store its feeds and pull replications with the hub's URL and feed names", async () => {
    const { topology } = await loadExample('hub-and-spoke');
    const plan = planForSite(topology, 'store-002');
    expect(plan.url).toBe('https://store-002.example.net');
    expect(plan.anonymousRead).toBe(true);
    expect(plan.feeds.map((f) => `${f.name}:${f.type}`)).toEqual(['store-choco:chocolatey', 'store-containers:oci', 'store-debs:debian', 'store-files:generic']);
    expect(plan.replications.map((r) => r.name)).toEqual(['choco-to-stores', 'containers-to-stores', 'debs-to-stores', 'files-to-stores']);
    const containers = replication(plan, 'containers-to-stores');
    expect(containers).toMatchObject({
      mode: 'pull',
      role: ReplicationRole.pullTarget,
      connects: true,
      localFeed: 'store-containers',
      remoteFeed: 'containers',
      feedType: 'oci',
      peers: [{ site: 'hub', url: 'https://hub.example.net' }],
      schedule: '*/5 * * * *',
      scheduleIsDefault: false,
      deletes: 'keep',
      filter: { include: ['pos/**', 'kiosk/**'], tags: ['v*', 'stable'] },
      token: { env: 'FERRY_TOKEN_HUB' },
    });
    expect(replication(plan, 'choco-to-stores')).toMatchObject({ schedule: DEFAULT_SCHEDULE, scheduleIsDefault: true, filter: { semver: '>=1.0.0' } });
    expect(replication(plan, 'debs-to-stores').deletes).toBe('propagate');
    expect(plan.incoming).toEqual([]);
  });

  it('gives the hub its feeds and the incoming rule, with only a hash prefix', async () => {
    const { topology } = await loadExample('hub-and-spoke');
    const plan = planForSite(topology, 'hub');
    expect(plan.feeds.map((f) => f.name)).toEqual(['choco', 'containers', 'debs', 'files']);
    expect(plan.feeds.find((f) => f.name === 'containers')?.retention).toEqual({ keepLatest: 20 });
    expect(plan.replications).toEqual([]);
    expect(plan.incoming).toEqual([{ name: 'stores', access: 'read', feeds: ['*'], tokenSha256Prefix: '0413e9e5' }]);
    expect(JSON.stringify(plan)).not.toContain('0413e9e50a79b87ef472637a35b1c6c1b1afa22d3bdae1330a09a7675bc3ad13');
  });

  it('is frozen and deterministic', async () => {
    const { topology } = await loadExample('hub-and-spoke');
    const a = planForSite(topology, 'store-001');
    const b = planForSite(topology, 'store-001');
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a.replications[0]!.peers[0])).toBe(true);
    expect(() => (a.feeds as unknown as unknown[]).push({})).toThrow(TypeError);
  });
});

describe('planForSite: multi-hub', () => {
  it('makes the secondary hub a pull target of the main hub (target feed defaults to the source name)', async () => {
    const { topology } = await loadExample('multi-hub');
    const plan = planForSite(topology, 'hub-asia');
    expect(plan.replications.map((r) => r.name)).toEqual(['hub-us-to-hub-asia', 'packages-us-to-asia']);
    expect(replication(plan, 'hub-us-to-hub-asia')).toMatchObject({
      localFeed: 'containers',
      remoteFeed: 'containers',
      peers: [{ site: 'hub-us', url: 'https://hub-us.example.net' }],
      token: { env: 'FERRY_TOKEN_HUB_US' },
    });
    expect(plan.incoming.map((r) => r.name)).toEqual(['asia-stores']);
  });

  it.each([
    ['store-sg-001', 'hub-asia', 'https://hub-asia.example.net'],
    ['store-jp-001', 'hub-asia', 'https://hub-asia.example.net'],
    ['store-us-001', 'hub-us', 'https://hub-us.example.net'],
  ])('%s pulls from %s', async (site, hub, url) => {
    const { topology } = await loadExample('multi-hub');
    const plan = planForSite(topology, site);
    expect(plan.replications).toHaveLength(2);
    for (const r of plan.replications) expect(r.peers).toEqual([{ site: hub, url }]);
    expect(plan.replications.map((r) => r.localFeed).sort()).toEqual(['store-containers', 'store-packages']);
  });
});

describe('planForSite: disaster-recovery', () => {
  it('gives the standby pulls with deletes and the mirror target side with its dedicated token file', async () => {
    const { topology } = await loadExample('disaster-recovery');
    const plan = planForSite(topology, 'standby');
    expect(replication(plan, 'dr-containers')).toMatchObject({ role: 'pull-target', deletes: 'propagate', localFeed: 'containers', token: { env: 'FERRY_TOKEN_DR' } });
    expect(replication(plan, 'dr-releases')).toMatchObject({
      mode: 'mirror',
      role: ReplicationRole.mirrorTarget,
      connects: true,
      deletes: 'propagate',
      peers: [{ site: 'production', url: 'https://ferry.prod.example.net' }],
      token: { file: '/etc/ferry/secrets/dr-mirror-token' },
    });
  });

  it('gives production the mirror source side: no token, no windows, the standby as peer', async () => {
    const { topology } = await loadExample('disaster-recovery');
    const plan = planForSite(topology, 'production');
    expect(plan.replications.map((r) => `${r.name}:${r.role}`)).toEqual(['dr-releases:mirror-source']);
    const r = plan.replications[0]!;
    expect(r.connects).toBe(false);
    expect(r.token).toBeUndefined();
    expect(r.peers).toEqual([{ site: 'standby', url: 'https://ferry.standby.example.net' }]);
    expect(plan.incoming.map((i) => `${i.name}:${i.access}`)).toEqual(['standby-dr:read', 'standby-dr-mirror:write']);
  });
});

describe('planForSite: edge-constraints', () => {
  it("carries the site's bandwidth and windows, the filter and the fallback hub with its URL", async () => {
    const { topology } = await loadExample('edge-constraints');
    const plan = planForSite(topology, 'vessel-aurora');
    expect(plan.bandwidth).toBe('2Mbit/s');
    const images = replication(plan, 'images-to-edge');
    expect(images).toMatchObject({
      bandwidth: '2Mbit/s',
      windows: [{ start: '23:00', end: '05:00', timeZone: 'Atlantic/Reykjavik' }],
      fallback: [{ site: 'hub-south', url: 'https://hub-south.example.net' }],
      filter: { include: ['library/**', 'ops/**'], exclude: ['ops/**/debug'], semver: '>=1.0.0' },
      localFeed: 'edge-images',
      remoteFeed: 'images',
    });
    expect(planForSite(topology, 'windfarm-west').replications[0]!.windows).toEqual([]);
  });

  it('gives the hubs the upstream pull with its URL, repositories and credentials reference', async () => {
    const { topology } = await loadExample('edge-constraints');
    for (const hub of ['hub-north', 'hub-south']) {
      const r = replication(planForSite(topology, hub), 'corp-images-to-hubs');
      expect(r).toMatchObject({
        role: ReplicationRole.upstreamTarget,
        localFeed: 'images',
        feedType: 'oci',
        peers: [],
        upstream: {
          name: 'corp-registry',
          type: 'oci',
          url: 'https://registry.corp.example',
          repositories: ['library/nginx', 'library/alpine', 'ops/telemetry-agent'],
          credentials: { env: 'CORP_REGISTRY_TOKEN' },
        },
      });
    }
  });

  it('renders aligned text with the facts an operator looks for', async () => {
    const { topology } = await loadExample('edge-constraints');
    const text = renderPlanText(planForSite(topology, 'vessel-aurora'));
    expect(text).toContain('Site vessel-aurora  https://ferry.aurora.vessels.example.net');
    expect(text).toMatch(/fallback\s+hub-south https:\/\/hub-south\.example\.net/);
    expect(text).toMatch(/feeds\s+edge-images ← images \(oci\)/);
    expect(text).toMatch(/token\s+env FERRY_TOKEN_EDGE/);
  });
});

const pushTopology = `
apiVersion: ferry/v1
kind: Site
metadata: {name: hub}
spec: {url: https://hub.example.net}
---
apiVersion: ferry/v1
kind: Site
metadata: {name: edge-b, labels: {role: edge}}
spec:
  url: https://b.example.net
  incoming: [{name: hub, tokenSha256: 3a802c8eedfa62a0312dd394b79f379329b79a45c59e2f42d1e527fb4913e284, access: write, feeds: ["*"]}]
---
apiVersion: ferry/v1
kind: Site
metadata: {name: edge-a, labels: {role: edge}}
spec:
  url: https://a.example.net
  incoming: [{name: hub, tokenSha256: 036c6adbafad5cd6829f12b0e74847152e8e90aa9d72282c11cf533c26a21a88, access: write, feeds: ["*"]}]
---
apiVersion: ferry/v1
kind: Feed
metadata: {name: files}
spec: {type: generic, sites: [hub, edge-a, edge-b]}
---
apiVersion: ferry/v1
kind: Replication
metadata: {name: push-files}
spec:
  mode: push
  source: {site: hub, feed: files}
  target: {siteSelector: {matchLabels: {role: edge}}}
  token: {secretRef: {env: FERRY_TOKEN_EDGES}}
`;

describe('planForSite: push and errors', () => {
  const load = (): Topology => {
    const result = loadTopologyFiles([{ path: 'push.yaml', content: pushTopology }]);
    expect(result.issues.filter((i) => i.severity === 'error')).toEqual([]);
    return result.topology;
  };

  it('gives a push to the source, with every target as a peer (sorted), and nothing to the targets', () => {
    const topology = load();
    const hub = planForSite(topology, 'hub');
    expect(hub.replications).toHaveLength(1);
    expect(hub.replications[0]).toMatchObject({
      role: ReplicationRole.pushSource,
      connects: true,
      localFeed: 'files',
      remoteFeed: 'files',
      peers: [{ site: 'edge-a', url: 'https://a.example.net' }, { site: 'edge-b', url: 'https://b.example.net' }],
      token: { env: 'FERRY_TOKEN_EDGES' },
    });
    expect(planForSite(topology, 'edge-a').replications).toEqual([]);
    expect(planForSite(topology, 'edge-a').feeds.map((f) => f.name)).toEqual(['files']);
  });

  it('throws PLAN_SITE_NOT_FOUND with a suggestion for a typo', () => {
    const topology = load();
    let caught: unknown;
    try {
      planForSite(topology, 'edge-c');
    } catch (err) {
      caught = err;
    }
    expect(isFerryError(caught, PlanErrorCode.siteNotFound)).toBe(true);
    expect((caught as { data: { suggestion?: string } }).data.suggestion).toBe('edge-a');
  });
});
