/**
 * What a replication job needs to run, independent of how the plan was computed.
 * The reconciler maps each planned replication of this site to one `ReplicationTask`.
 */
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import type { StateDb } from '../state/state-db.js';
import type { RateLimiter } from './bandwidth.js';
import type { ClientPool } from './transfer.js';
import type { FeedType, ReplicationFilter, SecretRef, SyncWindow } from '../topology/model.js';

export interface PeerSite {
  site: string;
  /** Base URL of the peer's controller, e.g. `http://127.0.0.1:8443`. */
  url: string;
}

export interface UpstreamSource {
  name: string;
  url: string;
  /** Repositories to take (full names on the upstream, e.g. `library/nginx`). */
  repositories: string[];
  credentials?: SecretRef;
  /** Upstream content type (`oci` when absent); debian/rpm go to job-upstream-packages.ts. */
  type?: FeedType;
  /** debian: suites, components; debian/rpm: architectures (absent: all the upstream lists). */
  distributions?: string[];
  components?: string[];
  architectures?: string[];
  /** debian/rpm: armored public key(s) that sign the upstream's indexes. */
  signedBy?: string;
  insecureSkipVerify?: boolean;
}

export interface ReplicationTask {
  name: string;
  mode: 'pull' | 'push' | 'mirror';
  /** Feed on this site. */
  localFeed: string;
  /** Feed on the peer (pull: the source feed; push: the target's feed; mirror: the other side's). */
  remoteFeed: string;
  /**
   * pull/mirror: the source first, then fallback sites in order (pull only).
   * push: every target; each gets the content.
   */
  peers: PeerSite[];
  /** Feed name per peer when targets differ (push); defaults to `remoteFeed`. */
  remoteFeedByPeer?: Record<string, string>;
  upstream?: UpstreamSource;
  filter?: ReplicationFilter;
  deletes: 'keep' | 'propagate';
  token?: SecretRef;
  schedule: string;
  windows?: SyncWindow[];
}

export interface JobContext {
  task: ReplicationTask;
  store: Store;
  state: StateDb;
  log: Logger;
  limiter?: RateLimiter;
  signal: AbortSignal;
  /** Resolves a secretRef to its value (environment or file at this site). */
  resolveSecret: (ref: SecretRef) => string;
  /** Appends a line to the run's log (kept in run history; never secrets). */
  note: (line: string) => void;
  /** Counts copied items and bytes for the run record and metrics. */
  count: (items: number, bytes: number) => void;
  /** Registry clients kept between runs (keep-alive); owned and closed by the controller. */
  clients?: ClientPool;
  /** Test hook: called for every HTTP request made to a peer. */
  onPeerRequest?: (method: string, url: string) => void;
}

/** Origin recorded in the store for content written by a replication. */
export function originOf(replication: string): string {
  return `replication:${replication}`;
}
