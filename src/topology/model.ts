/**
 * The typed topology model (DESIGN.md section 2, v1 contract).
 *
 * The JSON Schemas in `schemas/` are the source of truth; these types mirror them and a test
 * (test/topology/schema-types.test.ts) checks that they agree. Resources are frozen after load.
 * THIS FILE IS A CONTRACT between src/topology, src/plan, src/reconcile and src/replicate.
 */

export const API_VERSION = 'ferry/v1' as const;
export const Kinds = ['Site', 'Feed', 'Upstream', 'Replication'] as const;
export type Kind = (typeof Kinds)[number];

export const FeedTypes = ['oci', 'generic', 'debian', 'rpm', 'chocolatey'] as const;
export type FeedType = (typeof FeedTypes)[number];

/** Where a value came from: file relative to the topology root, 1-based line and column. */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

export interface Metadata {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/**
 * `{env: NAME}` or `{file: PATH}`: resolved on the site that needs the secret, never in Git.
 * The schema guarantees exactly one of the two is set.
 */
export interface SecretRef {
  env?: string;
  file?: string;
}
export interface SecretSource {
  secretRef: SecretRef;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}

export type Access = 'read' | 'write';

export interface IncomingRule {
  name: string;
  /** sha256 of the sync token, 64 lowercase hex digits. */
  tokenSha256: string;
  access: Access;
  /** Feed-name globs this token opens. */
  feeds: string[];
}

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

export interface SyncWindow {
  days?: Weekday[];
  /** "HH:MM", 24h; a window whose end is before its start spans midnight. */
  start: string;
  end: string;
  /** IANA time zone; default UTC. */
  timeZone?: string;
}

/** A Site document may omit `spec`; the loader then gives the resource `spec: {}`. */
export interface SiteSpec {
  url?: string;
  incoming?: IncomingRule[];
  anonymousRead?: boolean;
  /** e.g. "50Mbit/s", "10MB/s". */
  bandwidth?: string;
  windows?: SyncWindow[];
}

export interface FeedSpec {
  type: FeedType;
  sites?: string[];
  siteSelector?: LabelSelector;
  retention?: { keepLatest?: number; maxAge?: string };
}

export interface UpstreamSpec {
  type: FeedType;
  url: string;
  credentials?: SecretSource;
  /** debian: distributions (suites) to take. */
  distributions?: string[];
  /** debian: components to take. */
  components?: string[];
  /** debian/rpm: architectures to take. */
  architectures?: string[];
  /** debian/rpm: armored OpenPGP public key(s) that sign the upstream's indexes (like APT's signed-by). */
  signedBy?: string;
  /** debian/rpm: take indexes without checking their signature (validation warns loudly). */
  insecureSkipVerify?: boolean;
}

export type ReplicationMode = 'pull' | 'push' | 'mirror';

export interface ReplicationSource {
  site?: string;
  feed?: string;
  upstream?: string;
  repositories?: string[];
}

export interface ReplicationTarget {
  sites?: string[];
  siteSelector?: LabelSelector;
  feed?: string;
}

export interface ReplicationFilter {
  include?: string[];
  exclude?: string[];
  tags?: string[];
  semver?: string;
}

export interface ReplicationSpec {
  mode: ReplicationMode;
  source: ReplicationSource;
  target: ReplicationTarget;
  schedule?: string;
  filter?: ReplicationFilter;
  deletes?: 'keep' | 'propagate';
  token?: SecretSource;
  fallback?: string[];
  /** Stop running the replication without deleting it. */
  suspend?: boolean;
}

export interface Resource<K extends Kind, S> {
  apiVersion: typeof API_VERSION;
  kind: K;
  metadata: Metadata;
  spec: S;
  /** Position of the document (its first line) in the topology. */
  source: SourcePosition;
}

export type Site = Resource<'Site', SiteSpec>;
export type Feed = Resource<'Feed', FeedSpec>;
export type Upstream = Resource<'Upstream', UpstreamSpec>;
export type Replication = Resource<'Replication', ReplicationSpec>;
export type AnyResource = Site | Feed | Upstream | Replication;

/** A loaded topology: every resource that parsed and passed the schema, by kind. */
export interface Topology {
  sites: Site[];
  feeds: Feed[];
  upstreams: Upstream[];
  replications: Replication[];
}

export type Severity = 'error' | 'warning';

/** One problem found while loading or validating. Validation returns these; it never throws. */
export interface ValidationIssue {
  severity: Severity;
  /** Stable code, e.g. `DANGLING_SITE_REF` (docs/validation-codes.md lists them all). */
  code: string;
  message: string;
  /** Path relative to the topology root, forward slashes. */
  file: string;
  line: number;
  column: number;
  /** JSON pointer inside the document, e.g. `/spec/target/sites/0`. */
  path: string;
}

/** The per-site controller config file (`ferry controller --config site.yaml`), not in Git. */
export interface SiteConfig {
  site: string;
  topology: {
    url: string;
    ref?: string;
    path?: string;
    pollInterval?: string;
    credentials?: SecretSource;
    verifyCommits?: { keys: string[] };
  };
  dataDir: string;
  listen?: string;
  tls?: { cert: string; key: string };
  webhook?: SecretSource;
  store?: { type: 'fs' | 'registry'; url?: string; credentials?: SecretSource };
  /** The site's repository signing key (armored OpenPGP private key). */
  signingKey?: SecretSource;
  logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error';
}
