/**
 * The plan domain's view of site resolution, over src/topology's selectors: which sites host a
 * feed, which sites a replication targets, as sorted unique names (the plan's ordering).
 * Names that do not resolve to a defined Site are dropped (validation reports them).
 */
import { feedHosts, replicationTargets, type Feed, type Replication, type Topology } from '../topology/index.js';

function names(sites: ReadonlyArray<{ metadata: { name: string } }>): string[] {
  return [...new Set(sites.map((s) => s.metadata.name))].sort();
}

/** Sites hosting the feed (listed and/or selected), sorted by name. */
export function hostsOfFeed(topology: Topology, feed: Feed): string[] {
  return names(feedHosts(topology, feed));
}

/** Target sites of the replication (listed and/or selected), sorted by name. */
export function targetsOfReplication(topology: Topology, replication: Replication): string[] {
  return names(replicationTargets(topology, replication));
}
