/**
 * Per-topology lookup tables for planning: resources by name, and for every site the feeds it
 * hosts and the (replication, role) pairs it takes part in. Built once per frozen topology
 * (cached in a WeakMap), so planning every site of a 5,000-site topology, as `diffTopologies`
 * does, costs one pass over the selectors instead of one per site.
 */
import type { Feed, Replication, Site, Topology, Upstream } from '../topology/model.js';
import { hostsOfFeed, targetsOfReplication } from './topology-adapter.js';
import { ReplicationRole } from './types.js';

export interface RoleEntry {
  replication: Replication;
  role: ReplicationRole;
  /** Target site names of the replication, sorted. */
  targets: string[];
}

export interface PlanIndex {
  sites: Map<string, Site>;
  feeds: Map<string, Feed>;
  upstreams: Map<string, Upstream>;
  feedsBySite: Map<string, Feed[]>;
  entriesBySite: Map<string, RoleEntry[]>;
}

const cache = new WeakMap<Topology, PlanIndex>();

/** First definition wins for duplicates (the validator reports them). */
function byName<T extends { metadata: { name: string } }>(items: readonly T[]): Map<string, T> {
  const map = new Map<string, T>();
  for (const item of items) if (!map.has(item.metadata.name)) map.set(item.metadata.name, item);
  return map;
}

function push<V>(map: Map<string, V[]>, key: string, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/** The roles each site plays in `r` (DESIGN.md section 2: pull → targets, push → source, mirror → both). */
function rolesBySite(r: Replication, targets: readonly string[]): Array<[string, ReplicationRole]> {
  const { mode, source } = r.spec;
  // An Upstream cannot connect to anyone: its targets fetch from it whatever the mode says.
  if (source.upstream !== undefined) return targets.map((t) => [t, ReplicationRole.upstreamTarget]);
  const out: Array<[string, ReplicationRole]> = [];
  if (mode === 'pull') for (const t of targets) out.push([t, ReplicationRole.pullTarget]);
  if (mode === 'push' && source.site !== undefined) out.push([source.site, ReplicationRole.pushSource]);
  if (mode === 'mirror') {
    if (source.site !== undefined) out.push([source.site, ReplicationRole.mirrorSource]);
    for (const t of targets) out.push([t, ReplicationRole.mirrorTarget]);
  }
  return out;
}

function build(topology: Topology): PlanIndex {
  const index: PlanIndex = {
    sites: byName(topology.sites),
    feeds: byName(topology.feeds),
    upstreams: byName(topology.upstreams),
    feedsBySite: new Map(),
    entriesBySite: new Map(),
  };
  for (const feed of index.feeds.values()) {
    for (const host of hostsOfFeed(topology, feed)) push(index.feedsBySite, host, feed);
  }
  for (const replication of topology.replications) {
    const targets = targetsOfReplication(topology, replication);
    for (const [site, role] of rolesBySite(replication, targets)) push(index.entriesBySite, site, { replication, role, targets });
  }
  return index;
}

/** The lookup tables of `topology`; cached when the topology is frozen (as loaded ones are). */
export function planIndex(topology: Topology): PlanIndex {
  const cached = cache.get(topology);
  if (cached !== undefined) return cached;
  const index = build(topology);
  if (Object.isFrozen(topology)) cache.set(topology, index);
  return index;
}
