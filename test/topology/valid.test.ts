/**
 * Valid topologies written against DESIGN.md section 2: they must load with no error (and,
 * where stated, no warning), with every resource in the frozen topology.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadTopologyDir, loadTopologyFiles, replicationTargets, feedHosts, selectSites } from '../../src/topology/index.js';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { removeDir, writeTopology } from './helpers.js';

const EXAMPLES = join(resolve(import.meta.dirname, '..', '..'), 'examples');
const exampleDirs = existsSync(EXAMPLES) ? readdirSync(EXAMPLES).filter((n) => statSync(join(EXAMPLES, n)).isDirectory()) : [];

const h = (c: string): string => c.repeat(64 / c.length);

/** DESIGN.md section 2, completed with the sites and feeds it refers to. */
export const DESIGN_EXAMPLE = `apiVersion: ferry/v1
kind: Site
metadata:
  name: hub-us
  labels: {role: hub, region: us}
spec:
  url: https://hub-us.example.net      # where other sites reach this site's controller
  incoming:                            # the "Incoming" side: who may connect here
    - name: us-stores
      tokenSha256: ${h('9f')}
      access: read                     # read (pull from here) | write (push to here)
      feeds: ["*"]                     # feed-name globs this token opens
  anonymousRead: false
  bandwidth: 50Mbit/s
  windows:
    - {days: [mon, tue, wed, thu, fri], start: "22:00", end: "06:00", timeZone: America/Chicago}
---
apiVersion: ferry/v1
kind: Site
metadata: {name: hub-asia, labels: {role: hub, region: asia}}
spec:
  url: https://hub-asia.example.net
  incoming:
    - {name: fallback-readers, tokenSha256: ${h('d4')}, access: read, feeds: [containers]}
---
apiVersion: ferry/v1
kind: Site
metadata: {name: store-001, labels: {role: store, region: us}}
---
apiVersion: ferry/v1
kind: Site
metadata: {name: store-002, labels: {role: store, region: us}}
spec: {bandwidth: 10MB/s}
---
apiVersion: ferry/v1
kind: Feed
metadata: {name: containers}
spec:
  type: oci                            # oci | generic | debian | rpm | chocolatey (more may follow)
  sites: [hub-us, hub-asia]            # sites that host this feed (list and/or selector)
  retention: {keepLatest: 10}          # optional
---
apiVersion: ferry/v1
kind: Feed
metadata: {name: store-containers}
spec:
  type: oci
  siteSelector: {matchLabels: {role: store}}
---
apiVersion: ferry/v1
kind: Upstream                         # an external source that is not a ferry site
metadata: {name: corp-registry}
spec:
  type: oci
  url: https://registry.corp.example
  credentials: {secretRef: {env: CORP_REGISTRY_TOKEN}}
---
apiVersion: ferry/v1
kind: Replication
metadata: {name: containers-to-stores}
spec:
  mode: pull                           # pull | push | mirror
  source: {site: hub-us, feed: containers}
  target:
    siteSelector: {matchLabels: {role: store}}  # and/or sites: [store-001]
    feed: store-containers             # feed on the targets; defaults to the source feed's name
  schedule: "*/5 * * * *"              # cron; default: every minute
  filter:                              # optional
    include: ["apps/**"]               # repository / package-name globs
    exclude: ["apps/**/debug"]
    tags: ["v*", "stable"]             # tag / version globs
    semver: ">=1.2.0"
  deletes: keep                        # keep | propagate
  token: {secretRef: {env: FERRY_TOKEN_HUB_US}}  # on the connecting side: where the plaintext token lives
  fallback: [hub-asia]                 # pull: other sites hosting the same feed, tried in order
---
apiVersion: ferry/v1
kind: Replication
metadata: {name: corp-to-hub}
spec:
  mode: pull
  source: {upstream: corp-registry, repositories: ["library/nginx"]}
  target: {sites: [hub-us], feed: containers}
`;

const MULTI_HUB = {
  'sites/hubs.yaml': `apiVersion: ferry/v1
kind: Site
metadata: {name: hub-us, labels: {role: hub}}
spec:
  url: https://hub-us.example.net
  incoming:
    - {name: asia-hub, tokenSha256: ${h('a1')}, access: read, feeds: ["*"]}
    - {name: us-spokes, tokenSha256: ${h('b2')}, access: read, feeds: ["*"]}
---
apiVersion: ferry/v1
kind: Site
metadata: {name: hub-asia, labels: {role: hub}}
spec:
  url: https://hub-asia.example.net
  incoming:
    - {name: asia-spokes, tokenSha256: ${h('c3')}, access: read, feeds: ["pkgs*"]}
`,
  'sites/spokes.yml': ['us-1', 'us-2', 'asia-1', 'asia-2']
    .map((n) => `apiVersion: ferry/v1\nkind: Site\nmetadata: {name: spoke-${n}, labels: {role: spoke, region: ${n.split('-')[0]}}}\n`)
    .join('---\n'),
  'feeds.yaml': `apiVersion: ferry/v1
kind: Feed
metadata: {name: pkgs}
spec: {type: chocolatey, sites: [hub-us, hub-asia]}
---
apiVersion: ferry/v1
kind: Feed
metadata: {name: pkgs-local}
spec:
  type: chocolatey
  siteSelector:
    matchExpressions:
      - {key: role, operator: In, values: [spoke]}
      - {key: region, operator: Exists}
`,
  'replications/all.yaml': `apiVersion: ferry/v1
kind: Replication
metadata: {name: us-to-asia}
spec:
  mode: pull
  source: {site: hub-us, feed: pkgs}
  target: {sites: [hub-asia]}
  token: {secretRef: {file: /etc/ferry/hub-us.token}}
---
apiVersion: ferry/v1
kind: Replication
metadata: {name: asia-to-spokes}
spec:
  mode: pull
  source: {site: hub-asia, feed: pkgs}
  target: {siteSelector: {matchLabels: {role: spoke, region: asia}}, feed: pkgs-local}
---
apiVersion: ferry/v1
kind: Replication
metadata: {name: us-to-spokes}
spec:
  mode: pull
  source: {site: hub-us, feed: pkgs}
  target: {sites: [spoke-us-1, spoke-us-2], feed: pkgs-local}
  schedule: "0 */2 * * *"
`,
};

const DISASTER_RECOVERY = `apiVersion: ferry/v1
kind: Site
metadata: {name: prod}
spec:
  url: http://127.0.0.1:8443
  incoming:
    - {name: standby, tokenSha256: ${h('5e')}, access: read, feeds: ["*"]}
    - {name: standby-write, tokenSha256: ${h('6e')}, access: write, feeds: ["*"]}
---
apiVersion: ferry/v1
kind: Site
metadata: {name: standby}
spec: {url: "http://127.0.0.1:9443"}
---
apiVersion: ferry/v1
kind: Feed
metadata: {name: files}
spec: {type: generic, sites: [prod, standby]}
---
apiVersion: ferry/v1
kind: Feed
metadata: {name: rpms}
spec: {type: rpm, sites: [prod, standby]}
---
apiVersion: ferry/v1
kind: Replication
metadata: {name: files-dr}
spec:
  mode: mirror
  source: {site: prod, feed: files}
  target: {sites: [standby]}
  deletes: propagate
  token: {secretRef: {env: FERRY_DR_TOKEN}}
---
apiVersion: ferry/v1
kind: Replication
metadata: {name: rpms-dr}
spec:
  mode: pull
  source: {site: prod, feed: rpms}
  target: {sites: [standby]}
  schedule: "0 * * * * *"
`;

const ANCHORS = `apiVersion: ferry/v1
kind: Site
metadata:
  name: a
  labels: &edge {role: edge, tier: small}
  annotations: {owner: &team "edge-team", backup-owner: *team}
spec:
  windows:
    - &night {start: "22:00", end: "24:00", timeZone: Europe/Berlin}
    - *night
  bandwidth: 512KiB/s
---
apiVersion: ferry/v1
kind: Feed
metadata: {name: f}
spec: {type: generic, siteSelector: {matchLabels: {role: edge}}}
`;

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(removeDir));
});

describe('valid topologies', () => {
  it.each([
    ['DESIGN.md example', { 'topology.yaml': DESIGN_EXAMPLE }, 0],
    ['multi-hub in several folders', MULTI_HUB, 0],
    ['disaster recovery (mirror + pull)', { 'dr.yaml': DISASTER_RECOVERY }, 0],
    ['anchors and aliases within a document', { 'edge.yaml': ANCHORS }, 0],
  ] as const)('%s', async (_name, files, warnings) => {
    const dir = await writeTopology(files);
    dirs.push(dir);
    const result = await loadTopologyDir(dir);
    expect(result.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(result.issues).toHaveLength(warnings);
    expect(result.valid).toBe(true);
  });

  it('a source and its fallback may accept the same token; any other site may not without a warning', () => {
    const site = (name: string, hash: string) => `---\napiVersion: ferry/v1\nkind: Site\nmetadata: {name: ${name}}\nspec:\n  url: https://${name}.example.net\n  incoming: [{name: edge, tokenSha256: ${hash}, access: read, feeds: ["*"]}]\n`;
    const rest = `---\napiVersion: ferry/v1\nkind: Site\nmetadata: {name: edge}\n---\napiVersion: ferry/v1\nkind: Feed\nmetadata: {name: f}\nspec: {type: oci, sites: [north, south, edge]}\n---\napiVersion: ferry/v1\nkind: Replication\nmetadata: {name: r}\nspec:\n  mode: pull\n  source: {site: north, feed: f}\n  target: {sites: [edge]}\n  fallback: [south]\n  token: {secretRef: {env: T}}\n`;
    const shared = loadTopologyFiles([{ path: 'a.yaml', content: site('north', h('ab')) + site('south', h('ab')) + rest }]);
    expect(shared.issues.map((i) => i.code)).toEqual([]);
    const reused = loadTopologyFiles([{ path: 'a.yaml', content: site('north', h('ab')) + site('south', h('ab')) + site('other', h('ab')) + rest }]);
    expect(reused.issues.map((i) => i.code)).toEqual(['DUPLICATE_TOKEN_HASH']);
  });

  it.each(exampleDirs.map((n) => [n]))('examples/%s is valid', async (name) => {
    const result = await loadTopologyDir(join(EXAMPLES, name));
    expect(result.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(result.topology.sites.length).toBeGreaterThan(0);
  });

  it('resources are frozen, carry their source position, and Site spec defaults to {}', () => {
    const { topology } = loadTopologyFiles([{ path: 't/design.yaml', content: DESIGN_EXAMPLE }]);
    const store = topology.sites.find((s) => s.metadata.name === 'store-001')!;
    expect(store.spec).toEqual({});
    expect(store.source).toEqual({ file: 't/design.yaml', line: 26, column: 1 });
    expect(Object.isFrozen(topology)).toBe(true);
    expect(Object.isFrozen(topology.sites)).toBe(true);
    expect(Object.isFrozen(topology.replications[0]!.spec.filter!.include)).toBe(true);
    expect(() => (topology.sites as unknown as unknown[]).push(store)).toThrow(TypeError);
  });

  it('site resolution: names plus selectors, each site once, in topology order', () => {
    const { topology } = loadTopologyFiles(Object.entries(MULTI_HUB).map(([path, content]) => ({ path, content })));
    const names = (sites: Array<{ metadata: { name: string } }>): string[] => sites.map((s) => s.metadata.name);
    const [asiaToSpokes, usToAsia, usToSpokes] = ['asia-to-spokes', 'us-to-asia', 'us-to-spokes'].map((n) => topology.replications.find((r) => r.metadata.name === n)!);
    expect(names(replicationTargets(topology, asiaToSpokes!))).toEqual(['spoke-asia-1', 'spoke-asia-2']);
    expect(names(replicationTargets(topology, usToAsia!))).toEqual(['hub-asia']);
    expect(names(replicationTargets(topology, usToSpokes!))).toEqual(['spoke-us-1', 'spoke-us-2']);
    const local = topology.feeds.find((f) => f.metadata.name === 'pkgs-local')!;
    expect(names(feedHosts(topology, local))).toEqual(['spoke-us-1', 'spoke-us-2', 'spoke-asia-1', 'spoke-asia-2']);
    expect(names(selectSites(topology, { sites: ['spoke-asia-2', 'hub-us', 'nope'], siteSelector: { matchLabels: { role: 'hub' } } }))).toEqual(['hub-us', 'hub-asia', 'spoke-asia-2']);
    expect(names(selectSites(topology, { siteSelector: { matchExpressions: [{ key: 'region', operator: 'NotIn', values: ['us'] }] } }))).toEqual(['hub-us', 'hub-asia', 'spoke-asia-1', 'spoke-asia-2']);
    expect(names(selectSites(topology, { siteSelector: { matchExpressions: [{ key: 'region', operator: 'DoesNotExist' }] } }))).toEqual(['hub-us', 'hub-asia']);
    expect(selectSites(topology, {})).toEqual([]);
  });

  it('loading the same files in any order gives the same result', () => {
    const files = Object.entries(MULTI_HUB).map(([path, content]) => ({ path, content }));
    const a = loadTopologyFiles(files);
    const b = loadTopologyFiles([...files].reverse());
    expect(b).toEqual(a);
  });
});
