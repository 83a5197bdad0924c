/**
 * Maps this site's plan to the replication tasks it runs (the ones where it opens the
 * connection: pull target, push source, mirror target, upstream target).
 */
import type { PlannedPeer, PlannedReplication, SitePlan } from '../plan/types.js';
import type { PeerSite, ReplicationTask } from '../replicate/types.js';

function withUrl(peers: readonly PlannedPeer[]): PeerSite[] {
  return peers.filter((p): p is PlannedPeer & { url: string } => typeof p.url === 'string').map((p) => ({ site: p.site, url: p.url }));
}

export function taskFor(planned: PlannedReplication): ReplicationTask | undefined {
  // A suspended replication stays in the topology but is not scheduled (`spec.suspend`).
  if (!planned.connects || planned.suspended) return undefined;
  const base = {
    name: planned.name,
    localFeed: planned.localFeed,
    remoteFeed: planned.remoteFeed ?? planned.localFeed,
    deletes: planned.deletes,
    schedule: planned.schedule,
    windows: planned.windows,
    ...(planned.filter ? { filter: planned.filter } : {}),
    ...(planned.token ? { token: planned.token } : {}),
  };
  if (planned.upstream) {
    const { name, url, repositories, credentials, type, distributions, components, architectures, signedBy, insecureSkipVerify } = planned.upstream;
    if (!url) return undefined;
    const packages = {
      ...(type ? { type } : {}), ...(distributions ? { distributions } : {}), ...(components ? { components } : {}),
      ...(architectures ? { architectures } : {}), ...(signedBy ? { signedBy } : {}), ...(insecureSkipVerify !== undefined ? { insecureSkipVerify } : {}),
    };
    return { ...base, mode: 'pull', peers: [], upstream: { name, url, repositories: repositories ?? [], ...(credentials ? { credentials } : {}), ...packages } };
  }
  switch (planned.role) {
    case 'pull-target':
      return { ...base, mode: 'pull', peers: withUrl([...planned.peers, ...planned.fallback]) };
    case 'push-source':
      return { ...base, mode: 'push', peers: withUrl(planned.peers) };
    case 'mirror-target':
      return { ...base, mode: 'mirror', peers: withUrl(planned.peers) };
    default:
      return undefined;
  }
}

export function tasksForPlan(plan: SitePlan): ReplicationTask[] {
  return plan.replications.map(taskFor).filter((t): t is ReplicationTask => t !== undefined);
}
