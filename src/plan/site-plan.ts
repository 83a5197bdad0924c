/**
 * `planForSite`: one site's slice of a topology (DESIGN.md section 2): the feeds it hosts, the
 * replications it takes part in (pull: where it is a target; push: where it is the source; mirror:
 * either side) and the incoming rules it enforces.
 *
 * Works on any loaded topology, valid or not: a dangling reference gives a peer without `url` or a
 * replication without `feedType`, never an exception. Only an unknown site name throws.
 */
import { FerryError } from '../errors/index.js';
import type { Feed, Replication, Site, Topology } from '../topology/model.js';
import { compareStrings, deepFreeze, plainCopy, sortedKeys } from './data.js';
import { PlanErrorCode } from './errors.js';
import { suggestName } from './suggest.js';
import { planIndex, type PlanIndex } from './topology-index.js';
import {
  DEFAULT_SCHEDULE,
  ReplicationRole,
  type PlannedFeed,
  type PlannedIncomingRule,
  type PlannedPeer,
  type PlannedReplication,
  type SitePlan,
} from './types.js';

function peer(index: PlanIndex, name: string): PlannedPeer {
  const url = index.sites.get(name)?.spec.url;
  return url === undefined ? { site: name } : { site: name, url };
}

function plannedFeed(feed: Feed): PlannedFeed {
  const out: PlannedFeed = { name: feed.metadata.name, type: feed.spec.type };
  if (feed.spec.retention !== undefined) out.retention = plainCopy(feed.spec.retention);
  return out;
}

function plannedIncoming(rule: NonNullable<Site['spec']['incoming']>[number]): PlannedIncomingRule {
  return { name: rule.name, access: rule.access, feeds: [...rule.feeds], tokenSha256Prefix: String(rule.tokenSha256).slice(0, 8) };
}

/** Connecting sides: they need the token, start transfers, and are bound by their windows and bandwidth. */
function connects(role: ReplicationRole): boolean {
  return role !== ReplicationRole.mirrorSource;
}

function upstreamOf(index: PlanIndex, replication: Replication): PlannedReplication['upstream'] {
  const name = replication.spec.source.upstream;
  if (name === undefined) return undefined;
  const upstream = index.upstreams.get(name);
  const out: NonNullable<PlannedReplication['upstream']> = { name };
  if (upstream !== undefined) {
    out.type = upstream.spec.type;
    out.url = upstream.spec.url;
    if (upstream.spec.credentials?.secretRef !== undefined) out.credentials = plainCopy(upstream.spec.credentials.secretRef);
    if (upstream.spec.distributions !== undefined) out.distributions = [...upstream.spec.distributions];
    if (upstream.spec.components !== undefined) out.components = [...upstream.spec.components];
    if (upstream.spec.architectures !== undefined) out.architectures = [...upstream.spec.architectures];
    if (upstream.spec.signedBy !== undefined) out.signedBy = upstream.spec.signedBy;
    if (upstream.spec.insecureSkipVerify !== undefined) out.insecureSkipVerify = upstream.spec.insecureSkipVerify;
  }
  if (replication.spec.source.repositories !== undefined) out.repositories = [...replication.spec.source.repositories];
  return out;
}

function plannedReplication(index: PlanIndex, site: Site, replication: Replication, role: ReplicationRole, targets: string[]): PlannedReplication {
  const { spec } = replication;
  const sourceFeed = spec.source.feed;
  const targetFeed = spec.target.feed ?? sourceFeed;
  const onSourceSide = role === ReplicationRole.pushSource || role === ReplicationRole.mirrorSource;
  const localFeed = (onSourceSide ? sourceFeed : targetFeed) ?? '';
  const remoteFeed = onSourceSide ? targetFeed : sourceFeed;
  const feedType = index.feeds.get(sourceFeed ?? '')?.spec.type ?? index.upstreams.get(spec.source.upstream ?? '')?.spec.type ?? index.feeds.get(localFeed)?.spec.type;
  const peers = onSourceSide
    ? targets.filter((t) => t !== site.metadata.name).map((t) => peer(index, t))
    : spec.source.site !== undefined ? [peer(index, spec.source.site)] : [];
  const active = connects(role);
  const out: PlannedReplication = {
    name: replication.metadata.name,
    mode: spec.mode,
    role,
    suspended: spec.suspend === true,
    connects: active,
    localFeed,
    peers,
    schedule: spec.schedule ?? DEFAULT_SCHEDULE,
    scheduleIsDefault: spec.schedule === undefined,
    windows: active ? plainCopy(site.spec.windows ?? []) : [],
    deletes: spec.deletes ?? (spec.mode === 'mirror' ? 'propagate' : 'keep'),
    fallback: onSourceSide ? [] : (spec.fallback ?? []).map((f) => peer(index, f)),
  };
  if (remoteFeed !== undefined) out.remoteFeed = remoteFeed;
  if (feedType !== undefined) out.feedType = feedType;
  const upstream = upstreamOf(index, replication);
  if (upstream !== undefined) out.upstream = upstream;
  if (active && site.spec.bandwidth !== undefined) out.bandwidth = site.spec.bandwidth;
  if (spec.filter !== undefined) out.filter = plainCopy(spec.filter);
  if (active && spec.token?.secretRef !== undefined) out.token = plainCopy(spec.token.secretRef);
  return out;
}

function siteNotFound(topology: Topology, siteName: string): FerryError {
  const names = topology.sites.map((s) => s.metadata.name);
  const suggestion = suggestName(siteName, names);
  const hint = suggestion === undefined ? '' : ` (did you mean ${JSON.stringify(suggestion)}?)`;
  return new FerryError(PlanErrorCode.siteNotFound, `site ${JSON.stringify(siteName)} is not defined in the topology${hint}`, {
    data: { site: siteName, ...(suggestion === undefined ? {} : { suggestion }) },
  });
}

/**
 * Returns the frozen plan of `siteName`. Throws FerryError PLAN_SITE_NOT_FOUND (with
 * `data.suggestion` when a defined site name is close) if the topology defines no such site.
 */
export function planForSite(topology: Topology, siteName: string): SitePlan {
  const index = planIndex(topology);
  const site = index.sites.get(siteName);
  if (site === undefined) throw siteNotFound(topology, siteName);

  const feeds = (index.feedsBySite.get(siteName) ?? []).map(plannedFeed).sort((a, b) => compareStrings(a.name, b.name));
  const replications = (index.entriesBySite.get(siteName) ?? [])
    .map((e) => plannedReplication(index, site, e.replication, e.role, e.targets))
    .sort((a, b) => compareStrings(a.name, b.name) || compareStrings(a.role, b.role));

  const plan: SitePlan = {
    site: siteName,
    labels: sortedKeys({ ...(site.metadata.labels ?? {}) }),
    anonymousRead: site.spec.anonymousRead ?? false,
    windows: plainCopy(site.spec.windows ?? []),
    feeds,
    replications,
    incoming: (site.spec.incoming ?? []).map(plannedIncoming),
  };
  if (site.spec.url !== undefined) plan.url = site.spec.url;
  if (site.spec.bandwidth !== undefined) plan.bandwidth = site.spec.bandwidth;
  return deepFreeze(plan);
}

/** Names of every site defined in the topology, sorted, unique. */
export function siteNames(topology: Topology): string[] {
  return [...new Set(topology.sites.map((s) => s.metadata.name))].sort(compareStrings);
}
