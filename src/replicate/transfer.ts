/**
 * Transfers for replication jobs: one tag from a source target to a destination through the
 * OCI engine's single `copy()` (dedup by digest, verification, resume), paced by the site's
 * bandwidth limiter, with peer failures explained (errors.ts).
 */
import { copy, createRegistryClient, type RegistryClient } from '../oci/index.js';
import { hashToken } from '../util/token.js';
import type { ContentTarget } from '../oci/content.js';
import { explainPeerFailure } from './errors.js';
import { storeTargetWithOrigin } from './store-target.js';
import type { PeerIdentity } from './token.js';
import type { JobContext, PeerSite } from './types.js';

export interface RemoteTarget {
  target: ContentTarget;
  identity: PeerIdentity;
}

/**
 * Clients are pooled per (peer URL, token) so keep-alive connections and cached auth survive
 * between runs: an idle poll then costs one request on an open connection.
 */
const pool = new Map<string, RegistryClient>();

export function pooledRegistryClient(key: string, create: () => RegistryClient): RegistryClient {
  let client = pool.get(key);
  if (!client) {
    client = create();
    pool.set(key, client);
  }
  return client;
}

/** Closes every pooled client (controller shutdown). */
export function closePeerClients(): void {
  for (const client of pool.values()) client.close();
  pool.clear();
}

/** A distribution client for a peer site's `/v2`, authenticated with the replication's token. */
export function remoteTarget(ctx: JobContext, peer: PeerSite, identity: PeerIdentity): RemoteTarget {
  const url = new URL(peer.url);
  const key = `${url.origin}|${identity.token ? hashToken(identity.token) : ''}|${ctx.onPeerRequest ? 'counted' : ''}`;
  const target = ctx.onPeerRequest
    ? createRegistryClient({ registry: url.host, plainHttp: url.protocol === 'http:', ...(identity.token ? { auth: { token: identity.token } } : {}), onRequest: ctx.onPeerRequest })
    : pooledRegistryClient(key, () => createRegistryClient({ registry: url.host, plainHttp: url.protocol === 'http:', ...(identity.token ? { auth: { token: identity.token } } : {}) }));
  return { target, identity };
}

async function explained<T>(remote: RemoteTarget, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw explainPeerFailure(err, remote.identity.error);
  }
}

/** Copies `srcRepository:tag` from a peer into the local store, recording `origin`. */
export async function copyTag(ctx: JobContext, source: RemoteTarget, srcRepository: string, tag: string, dstRepository: string, origin: string): Promise<{ bytes: number }> {
  const destination = storeTargetWithOrigin(ctx.store, origin);
  const result = await explained(source, () =>
    copy(source.target, { repository: srcRepository, reference: tag }, destination, { repository: dstRepository, reference: tag }, {
      signal: ctx.signal,
      ...(ctx.limiter ? { rateLimiter: ctx.limiter } : {}),
    }),
  );
  return { bytes: result.bytesTransferred };
}

/** Copies from any content source (an upstream registry) into the local store, recording `origin`. */
export async function copyTagFrom(ctx: JobContext, source: ContentTarget, peer: { site: string; url: string }, srcRepository: string, tag: string, dstRepository: string, origin: string): Promise<{ bytes: number }> {
  return copyTag(ctx, { target: source, identity: { error: peer } }, srcRepository, tag, dstRepository, origin);
}

/** Copies a local tag to a peer (push, mirror). */
export async function pushTag(ctx: JobContext, destination: RemoteTarget, srcRepository: string, tag: string, dstRepository: string): Promise<{ bytes: number }> {
  const result = await explained(destination, () =>
    copy(ctx.store, { repository: srcRepository, reference: tag }, destination.target, { repository: dstRepository, reference: tag }, {
      signal: ctx.signal,
      ...(ctx.limiter ? { rateLimiter: ctx.limiter } : {}),
    }),
  );
  return { bytes: result.bytesTransferred };
}

export { explained as withPeerErrors };
