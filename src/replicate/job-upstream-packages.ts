/**
 * Pull from a package `Upstream` (type debian or rpm): an external APT or YUM/DNF repository,
 * mirrored into this site's feed by src/feeds/upstream (every index and file verified against the
 * repository's own signed indexes with `signedBy`). This file wires the run's context into it:
 * the deadline (`ctx.signal`), the site's bandwidth cap (every downloaded byte passes
 * `ctx.limiter`), a request budget, upstream credentials, HTTP failures explained with the
 * upstream's name, and `deletes: propagate` behind the delete guard (basis `listing`).
 *
 * A run is idempotent: versions already in the feed are skipped before any download, so the
 * runner may retry a failed run, and a run with nothing new fetches indexes only.
 */
import { tmpdir } from 'node:os';
import semver from 'semver';
import { FerryError, NextAction } from '../errors/index.js';
import { createHttpFetcher, mirrorDebian, mirrorRpm, readVerificationKeys, upstreamError, UpstreamErrorCode, type MirrorDeps, type MirrorResult } from '../feeds/upstream/index.js';
import { sanitizeUrl } from '../util/sanitize-url.js';
import { ReplicationErrorCode, peerNetworkError, peerStatusError, type PeerErrorContext } from './errors.js';
import { compileFilter } from './filter.js';
import { propagateDeletes } from './job-pull.js';
import { originOf, type JobContext, type UpstreamSource } from './types.js';

/** Requests one run may make (indexes + package files); the next run continues where it stopped. */
export const DEFAULT_PACKAGE_REQUEST_BUDGET = 5_000;

/** `1:2.4.1-3` → `2.4.1` (epoch and packaging revision dropped; `X.Y` read as `X.Y.0`). */
export function upstreamVersionPart(version: string): string {
  const noEpoch = version.replace(/^\d+:/, '');
  const dash = noEpoch.lastIndexOf('-');
  const core = dash > 0 ? noEpoch.slice(0, dash) : noEpoch;
  return /^\d+\.\d+$/.test(core) ? `${core}.0` : core;
}

/**
 * The replication's filter for packages: include/exclude match package names, tags match the
 * full version, semver matches the upstream part of versions that parse as semver (others fail
 * a semver filter).
 */
export function packageSelector(filter: JobContext['task']['filter']): (name: string, version: string) => boolean {
  const names = compileFilter({ ...(filter?.include ? { include: filter.include } : {}), ...(filter?.exclude ? { exclude: filter.exclude } : {}) });
  const tags = compileFilter(filter?.tags ? { tags: filter.tags } : undefined);
  const range = filter?.semver ? new semver.Range(filter.semver) : undefined;
  return (name, version) => {
    if (!names.repository(name) || !tags.tag(version)) return false;
    if (!range) return true;
    const parsed = semver.valid(upstreamVersionPart(version));
    return parsed !== null && range.test(parsed);
  };
}

function authorization(ctx: JobContext, upstream: UpstreamSource): string | undefined {
  if (!upstream.credentials) return undefined;
  const secret = ctx.resolveSecret(upstream.credentials);
  return secret.indexOf(':') > 0 ? `Basic ${Buffer.from(secret, 'utf8').toString('base64')}` : `Bearer ${secret}`;
}

/** HTTP statuses from an upstream, named for an operator (credentials live on the Upstream). */
function explainStatus(peer: PeerErrorContext, upstream: UpstreamSource, status: number, url: string): FerryError {
  const where = sanitizeUrl(url);
  const data = { site: peer.site, url: where, status };
  if (status === 401 || status === 403) {
    const hint = upstream.credentials ? 'the credentials of spec.credentials were refused' : 'it needs credentials: set spec.credentials.secretRef on the Upstream';
    return new FerryError(status === 401 ? ReplicationErrorCode.peerUnauthorized : ReplicationErrorCode.peerDenied, `${peer.site} answered ${status} for ${where}: ${hint}`, { data, next: NextAction.fix });
  }
  if (status === 404) {
    return new FerryError(ReplicationErrorCode.peerError, `${peer.site} answered 404 for ${where}: check spec.url and spec.distributions of upstream ${upstream.name}`, { data, next: NextAction.backoff });
  }
  return peerStatusError(status, { ...peer, url: where });
}

/**
 * Refuses a signed index older than the newest one this replication took from the same upstream
 * URL (kept in the state DB), and records newer ones.
 */
function indexTimeGuard(ctx: JobContext, upstream: UpstreamSource): (key: string, time: number) => void {
  return (key, time) => {
    const meta = `upstream-index-time:${ctx.task.name}:${upstream.url}:${key}`;
    const seen = Number(ctx.state.getMeta(meta) ?? NaN);
    if (Number.isFinite(seen) && time < seen) {
      throw upstreamError(UpstreamErrorCode.rollback, `${key} of upstream ${upstream.name} is older than one already taken (${new Date(seen).toISOString()}): a replayed or rolled-back index; refusing it`, {
        upstream: upstream.name, index: key, seen: new Date(seen).toISOString(), got: new Date(time).toISOString(),
      });
    }
    if (time !== seen) ctx.state.setMeta(meta, String(time));
  };
}

async function mirror(ctx: JobContext, upstream: UpstreamSource, deps: MirrorDeps, keys: Awaited<ReturnType<typeof readVerificationKeys>> | undefined): Promise<MirrorResult> {
  const common = {
    feed: ctx.task.localFeed,
    keys,
    checkIndexTime: indexTimeGuard(ctx, upstream),
    select: packageSelector(ctx.task.filter),
    ...(upstream.architectures ? { architectures: upstream.architectures } : {}),
  };
  if (upstream.type === 'debian') {
    return mirrorDebian(deps, { ...common, distributions: upstream.distributions ?? [], ...(upstream.components ? { components: upstream.components } : {}) });
  }
  if (upstream.type === 'rpm') return mirrorRpm(deps, common);
  throw upstreamError(UpstreamErrorCode.config, `upstream ${upstream.name} is of type ${upstream.type ?? 'oci'}, not a package repository`, { type: upstream.type });
}

/** Mirrors the selected packages of a debian/rpm upstream into `ctx.task.localFeed`. */
export async function pullFromPackageUpstream(ctx: JobContext, upstream: UpstreamSource, budget = DEFAULT_PACKAGE_REQUEST_BUDGET): Promise<void> {
  const { task, store } = ctx;
  const peer: PeerErrorContext = { site: `upstream ${upstream.name}`, url: upstream.url };
  const keys = upstream.signedBy ? await readVerificationKeys(upstream.signedBy) : undefined;
  if (!keys && upstream.insecureSkipVerify !== true) {
    throw upstreamError(UpstreamErrorCode.config, `upstream ${upstream.name} has no signedBy and insecureSkipVerify is not set`, { upstream: upstream.name });
  }
  if (!keys) ctx.note(`insecureSkipVerify: the index signatures of ${upstream.name} are NOT checked`);
  const auth = authorization(ctx, upstream);
  const fetcher = createHttpFetcher({
    baseUrl: upstream.url,
    signal: ctx.signal,
    ...(auth ? { authorization: auth } : {}),
    ...(ctx.limiter ? { take: (n: number) => ctx.limiter!.take(n) } : {}),
    ...(ctx.onPeerRequest ? { onRequest: ctx.onPeerRequest } : {}),
    budget,
    explainStatus: (status, url) => explainStatus(peer, upstream, status, url),
    explainNetwork: (err) => peerNetworkError(err, peer),
  });
  const origin = originOf(task.name);
  const deps: MirrorDeps = { store, fetcher, tmpDir: tmpdir(), origin, note: ctx.note, count: ctx.count };
  const result = await mirror(ctx, upstream, deps, keys);
  ctx.note(`${upstream.name}: ${result.imported} imported, ${result.skipped} refused, ${result.listed.size} listed, ${fetcher.requests} requests`);
  if (task.deletes !== 'propagate') return;
  if (!result.complete) {
    ctx.note('deletes not propagated: the run stopped before reading the whole upstream');
    return;
  }
  const gone = (await store.tagRecords({ feed: task.localFeed }))
    .filter((t) => t.origin === origin && !result.listed.has(`${t.repository}:${t.tag}`))
    .map((t) => ({ repository: t.repository, tag: t.tag }));
  await propagateDeletes(ctx, gone, 'listing');
}
