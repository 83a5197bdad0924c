/**
 * The plan of one site: its slice of the topology (DESIGN.md section 2, "Each controller takes its
 * own slice"), and the difference between two plans. Plain JSON data: no functions, no secrets
 * (token hashes appear as an 8-hex prefix only, credentials as their secretRef), deterministic
 * ordering, deeply frozen. `ferry plan --format json` prints a SitePlan as is.
 */
import type { FeedType, ReplicationFilter, ReplicationMode, SecretRef, SyncWindow, Access } from '../topology/model.js';

/** Cron used when a Replication has no `schedule`: every minute. */
export const DEFAULT_SCHEDULE = '* * * * *';

export interface PlannedFeed {
  name: string;
  type: FeedType;
  retention?: { keepLatest?: number; maxAge?: string };
}

/** Another ferry site on the other end of a replication. `url` is absent when the Site has none (or is unknown). */
export interface PlannedPeer {
  site: string;
  url?: string;
}

/** An external source (Upstream resource) a replication copies from. */
export interface PlannedUpstream {
  name: string;
  type?: FeedType;
  url?: string;
  repositories?: string[];
  credentials?: SecretRef;
  /** debian/rpm upstreams: what to take, and the public key(s) that sign the upstream's indexes. */
  distributions?: string[];
  components?: string[];
  architectures?: string[];
  signedBy?: string;
  insecureSkipVerify?: boolean;
}

/**
 * What this site does in a replication:
 * - `pull-target`: pull, this site connects to the source and copies what it lacks;
 * - `push-source`: push, this site connects to each target and uploads;
 * - `mirror-source` / `mirror-target`: mirror, both sides converge (each appears in both plans);
 * - `upstream-target`: the source is an external Upstream; this site fetches from it whatever
 *   the mode says (an Upstream cannot connect to anyone).
 */
export const ReplicationRole = {
  pullTarget: 'pull-target',
  pushSource: 'push-source',
  mirrorSource: 'mirror-source',
  mirrorTarget: 'mirror-target',
  upstreamTarget: 'upstream-target',
} as const;
export type ReplicationRole = (typeof ReplicationRole)[keyof typeof ReplicationRole];

export interface PlannedReplication {
  /** Name of the Replication resource. With `role`, the key of this entry in the plan. */
  name: string;
  mode: ReplicationMode;
  role: ReplicationRole;
  /** `spec.suspend`: the replication is kept but does not run. */
  suspended: boolean;
  /** True when this site opens the connection (pull target, push source, mirror target, upstream target). */
  connects: boolean;
  /** Feed on this site and on the other end (target feed defaults to the source feed's name). */
  localFeed: string;
  remoteFeed?: string;
  feedType?: FeedType;
  /** The ferry sites on the other end, sorted by name (one for pull/mirror-target, every target for push/mirror-source). */
  peers: PlannedPeer[];
  upstream?: PlannedUpstream;
  schedule: string;
  scheduleIsDefault: boolean;
  /** The site's own windows and bandwidth, which bound the replications it starts. */
  windows: SyncWindow[];
  bandwidth?: string;
  filter?: ReplicationFilter;
  deletes: 'keep' | 'propagate';
  /** Pull fallbacks, in the order they are tried. */
  fallback: PlannedPeer[];
  /** Where the connecting side finds its token (a reference, never the token). Only when `connects`. */
  token?: SecretRef;
}

export interface PlannedIncomingRule {
  name: string;
  access: Access;
  feeds: string[];
  /** First 8 hex digits of tokenSha256, to recognise a rule without printing the hash. */
  tokenSha256Prefix: string;
}

export interface SitePlan {
  site: string;
  url?: string;
  labels: Record<string, string>;
  anonymousRead: boolean;
  bandwidth?: string;
  windows: SyncWindow[];
  /** Sorted by name. */
  feeds: PlannedFeed[];
  /** Sorted by name, then role. */
  replications: PlannedReplication[];
  /** In the order written (the order rules are checked in). */
  incoming: PlannedIncomingRule[];
}

/** One changed leaf: `field` is a dotted path (`filter.tags`, `peers`, `retention.keepLatest`). */
export interface FieldChange {
  field: string;
  before?: unknown;
  after?: unknown;
}

export interface ChangedEntry {
  key: string;
  changes: FieldChange[];
}

export interface EntryDiff<T> {
  added: T[];
  removed: T[];
  changed: ChangedEntry[];
}

export const SiteChange = { added: 'added', removed: 'removed', changed: 'changed' } as const;
export type SiteChange = (typeof SiteChange)[keyof typeof SiteChange];

export interface SiteDiff {
  site: string;
  status: SiteChange;
  /** Changes of the site's own settings: url, labels, anonymousRead, bandwidth, windows. */
  settings: FieldChange[];
  feeds: EntryDiff<PlannedFeed>;
  /** Replication entries are keyed `name (role)`. */
  replications: EntryDiff<PlannedReplication>;
  incoming: EntryDiff<PlannedIncomingRule>;
}

export interface TopologyDiff {
  changed: boolean;
  sitesAdded: string[];
  sitesRemoved: string[];
  /** Only sites with at least one change, sorted by name. */
  sites: SiteDiff[];
}
