/**
 * Local adapter over the topology domain: which sites host a feed, which sites a replication
 * targets. TEMPORARY: src/topology is written in parallel and will export `feedHosts` and
 * `replicationTargets`; until its face lands this file applies the label-selector semantics of
 * DESIGN.md section 2 (Kubernetes matchLabels / matchExpressions) itself. Replace the bodies with
 * calls to '../topology/index.js' once it exists; the signatures here stay.
 */
import type { Feed, LabelSelector, Replication, Site, Topology } from '../topology/model.js';

function matches(selector: LabelSelector, site: Site): boolean {
  const labels = site.metadata.labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const expr of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, expr.key);
    const value = labels[expr.key];
    const values = expr.values ?? [];
    if (expr.operator === 'Exists' && !has) return false;
    if (expr.operator === 'DoesNotExist' && has) return false;
    if (expr.operator === 'In' && !(has && value !== undefined && values.includes(value))) return false;
    if (expr.operator === 'NotIn' && has && value !== undefined && values.includes(value)) return false;
  }
  return true;
}

/** Names of the sites named in `sites` plus those matched by `siteSelector`; sorted, unique. */
function resolveSites(topology: Topology, sites: string[] | undefined, selector: LabelSelector | undefined): string[] {
  const names = new Set(sites ?? []);
  if (selector !== undefined) {
    for (const site of topology.sites) if (matches(selector, site)) names.add(site.metadata.name);
  }
  return [...names].sort();
}

/** Sites hosting the feed (listed and/or selected), sorted. Listed names may be dangling. */
export function hostsOfFeed(topology: Topology, feed: Feed): string[] {
  return resolveSites(topology, feed.spec.sites, feed.spec.siteSelector);
}

/** Target sites of the replication (listed and/or selected), sorted. Listed names may be dangling. */
export function targetsOfReplication(topology: Topology, replication: Replication): string[] {
  return resolveSites(topology, replication.spec.target.sites, replication.spec.target.siteSelector);
}
