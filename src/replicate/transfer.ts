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
 * Clients are pooled per (peer URL, token) for the life of a controller, so keep-alive
 * connections and cached auth survive between runs: an idle poll then costs one request on an
 * open connection. Each controller owns its pool and closes it on stop.
 */
export interface ClientPool {
  get(key: string, create: () => RegistryClient): RegistryClient;
  closeAll(): void;
}

export function createClientPool(): ClientPool {
  const clients = new Map<string, RegistryClient>();
  return {
    get(key, create) {
      let client = clients.get(key);
      if (!client) {
        client = create();
        clients.set(key, client);
      }
      return client;
    },
    closeAll() {
      for (const client of clients.values()) client.close();
      clients.clear();
    },
  };
}

/** A client from the run's pool, or a fresh one when the job has no pool (tests, one-off runs). */
export function pooledRegistryClient(ctx: Pick<JobContext, 'clients'>, key: string, create: () => RegistryClient): RegistryClient {
  return ctx.clients ? ctx.clients.get(key, create) : create();
}

/** A distribution client for a peer site's `/v2`, authenticated with the replication's token. */
export function remoteTarget(ctx: JobContext, peer: PeerSite, identity: PeerIdentity): RemoteTarget {
  const url = new URL(peer.url);
  const key = `${url.origin}|${identity.token ? hashToken(identity.token) : ''}`;
  const target = pooledRegistryClient(ctx, key, () => createRegistryClient({
    registry: url.host,
    plainHttp: url.protocol === 'http:',
    ...(identity.token ? { auth: { token: identity.token } } : {}),
    ...(ctx.onPeerRequest ? { onRequest: ctx.onPeerRequest } : {}),
  }));
  return { target, identity };
}

async function explained<T>(remote: RemoteTarget, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw explainPeerFailure(err, remote.identity.error);
  }
}

/** Copies `srcRepository:reference` (a tag or a digest) from a peer into the local store, recording `origin`. */
export async function copyTag(ctx: JobContext, source: RemoteTarget, srcRepository: string, reference: string, dstRepository: string, origin: string): Promise<{ bytes: number }> {
  const destination = storeTargetWithOrigin(ctx.store, origin);
  const result = await explained(source, () =>
    copy(source.target, { repository: srcRepository, reference }, destination, { repository: dstRepository, reference }, {
      signal: ctx.signal,
      referrers: true,
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
      referrers: true,
      ...(ctx.limiter ? { rateLimiter: ctx.limiter } : {}),
    }),
  );
  return { bytes: result.bytesTransferred };
}

export { explained as withPeerErrors };
