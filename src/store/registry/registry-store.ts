/**
 * The registry-backed store: content lives in an existing OCI registry (CNCF distribution,
 * Harbor, zot, a cloud registry) reached through ferry's distribution client (src/oci); feeds,
 * manifest and tag records and the change log live in ferry's own SQLite (`<dir>/ferry.db`,
 * same schema as the fs store).
 *
 * Semantics (docs/store.md, "registry backend"):
 * - Ferry repository `<feed>/<repo>` is registry repository `[namespace/]<feed>/<repo>`.
 * - Reads of manifests resolve tags from ferry's records, then fetch by digest (verified by the
 *   client): what ferry serves is what ferry recorded, whatever else writes to the registry.
 * - Blob presence, range reads, mounts and dedup are the registry's own.
 * - `tagDelete` removes ferry's tag record only: the distribution API cannot delete a tag. The
 *   registry keeps the tag until it is re-pointed or its manifest is deleted.
 * - `manifestDelete` is a manifest DELETE by digest (the registry drops its tags too); the
 *   registry must have deletes enabled, else STORE_UNSUPPORTED.
 * - `feedPrune` deletes the feed's manifests in the registry before ferry's metadata.
 * - `gc()` only expires leases: run the registry's own GC (`docker-registry garbage-collect`).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isFerryError } from '../../errors/index.js';
import { silentLogger, type Logger } from '../../log/index.js';
import type { Descriptor, FetchedManifest } from '../../oci/content.js';
import { createRegistryClient, type RegistryClient, type RegistryClientOptions } from '../../oci/index.js';
import { catalogMethods, requireManifest } from '../catalog.js';
import { storeError, StoreErrorCode } from '../errors.js';
import { manifestDescriptor, parsePush } from '../manifest.js';
import { assertDigest, assertFeedName, assertTag, normaliseOrigin } from '../names.js';
import type { Store, WriteContext } from '../store.js';
import { ensureRepository, expireLeases } from '../sqlite/blobs.js';
import { inTransaction, openDatabase, type Db } from '../sqlite/database.js';
import { feedGet, feedPrune, requireActiveFeed } from '../sqlite/feeds.js';
import { checkReferences, feedManifests, recordManifest, removeManifest, removeTag, resolveManifest } from '../sqlite/manifests.js';
import { verifiedSource } from './verified-source.js';

export interface RegistryStoreOptions {
  /** How to reach the registry (or an existing client, e.g. one shared with replication). */
  client: RegistryClientOptions | RegistryClient;
  /** Directory for ferry's own SQLite (`ferry.db`); created if missing. */
  dir: string;
  /** Optional path prefix inside the registry, e.g. `ferry` → `ferry/<feed>/<repo>`. */
  namespace?: string;
  log?: Logger;
  busyTimeoutMs?: number;
}

const NAMESPACE_PATTERN = /^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;

/** What the method groups below share. */
interface Ctx {
  db: Db;
  client: RegistryClient;
  /** Ferry repository → registry repository. */
  remote(repository: string): string;
  log: Logger;
}

export async function createRegistryStore(options: RegistryStoreOptions): Promise<Store> {
  const { dir, namespace, log = silentLogger } = options;
  if (namespace !== undefined && !NAMESPACE_PATTERN.test(namespace)) throw storeError(StoreErrorCode.nameInvalid, 'invalid registry namespace', { namespace });
  const client = 'blobPut' in options.client ? options.client : createRegistryClient(options.client);
  const ownsClient = client !== options.client;
  await mkdir(dir, { recursive: true });
  const db = openDatabase(join(dir, 'ferry.db'), { busyTimeoutMs: options.busyTimeoutMs });
  const ctx: Ctx = { db, client, log, remote: (repository) => (namespace ? `${namespace}/${repository}` : repository) };
  let closed = false;
  return {
    description: `registry store ${client.description}`,
    ...catalogMethods(db),
    ...blobMethods(ctx),
    ...manifestMethods(ctx),
    feedPrune: (name) => pruneFeed(ctx, name),
    async gc() {
      expireLeases(db);
      log.info({ registry: client.description }, 'gc delegated to the registry (run its garbage-collect)');
      return { blobsDeleted: 0, bytesFreed: 0 };
    },
    async close() {
      if (closed) return;
      closed = true;
      if (ownsClient) client.close();
      db.close();
    },
  };
}

function blobMethods({ db, client, remote }: Ctx): Pick<Store, 'blobHead' | 'blobGet' | 'blobPut' | 'blobMount'> {
  return {
    async blobHead(repository, digest) {
      requireActiveFeed(db, repository);
      return client.blobHead(remote(repository), assertDigest(digest));
    },
    async blobGet(repository, digest, opts) {
      requireActiveFeed(db, repository);
      return client.blobGet(remote(repository), assertDigest(digest), opts);
    },
    async blobPut(repository, descriptor, open, opts) {
      const feed = requireActiveFeed(db, repository);
      assertDigest(descriptor.digest);
      const source = verifiedSource(descriptor, open);
      let result: { transferred: number };
      try {
        result = await client.blobPut(remote(repository), descriptor, source.open, opts);
      } catch (err) {
        throw source.failure() ?? err;
      }
      inTransaction(db, () => ensureRepository(db, repository, feed));
      return result;
    },
    async blobMount(repository, fromRepository, digest) {
      const feed = requireActiveFeed(db, repository);
      requireActiveFeed(db, fromRepository);
      const mounted = await client.blobMount(remote(repository), remote(fromRepository), assertDigest(digest));
      if (mounted) inTransaction(db, () => ensureRepository(db, repository, feed));
      return mounted;
    },
  };
}

type ManifestMethods = Pick<Store, 'manifestGet' | 'manifestPut' | 'manifestPutWithContext' | 'manifestDelete' | 'tagDelete'>;

function manifestMethods(ctx: Ctx): ManifestMethods {
  const { db, client, remote } = ctx;
  return {
    async manifestGet(repository, reference): Promise<FetchedManifest> {
      requireActiveFeed(db, repository);
      const row = requireManifest(db, repository, reference);
      const fetched = await client.manifestGet(remote(repository), row.digest);
      return { descriptor: { ...fetched.descriptor, mediaType: row.mediaType }, body: fetched.body };
    },
    manifestPut: async (repository, reference, mediaType, body) => manifestPut(ctx, repository, reference, mediaType, body, 'local'),
    manifestPutWithContext: async (repository, reference, mediaType, body, context) =>
      manifestPut(ctx, repository, reference, mediaType, body, normaliseOrigin(context.origin)),
    async tagDelete(repository: string, tag: string, context?: WriteContext): Promise<boolean> {
      const feed = requireActiveFeed(db, repository);
      return removeTag(db, feed, repository, assertTag(tag), normaliseOrigin(context?.origin));
    },
    async manifestDelete(repository: string, digest: string, context?: WriteContext): Promise<boolean> {
      const feed = requireActiveFeed(db, repository);
      const origin = normaliseOrigin(context?.origin);
      if (!resolveManifest(db, repository, assertDigest(digest))) return false;
      await deleteInRegistry(ctx, repository, digest);
      return removeManifest(db, feed, repository, digest, origin);
    },
  };
}

async function manifestPut(ctx: Ctx, repository: string, reference: string, mediaType: string, body: Buffer, origin: string): Promise<Descriptor> {
  const { db, client, remote, log } = ctx;
  const feed = requireActiveFeed(db, repository);
  const { parsed, tag } = parsePush(repository, reference, mediaType, body);
  checkReferences(db, repository, parsed, 'children');
  try {
    await client.manifestPut(remote(repository), reference, parsed.mediaType, body);
  } catch (err) {
    if (isFerryError(err) && (err.data as { registryCode?: string }).registryCode === 'MANIFEST_BLOB_UNKNOWN') {
      throw storeError(StoreErrorCode.manifestBlobUnknown, 'manifest references a blob that is not in the repository', { repository, digest: parsed.digest }, err);
    }
    throw err;
  }
  // The registry holds the bytes durably now; record metadata and changes in one transaction.
  const result = recordManifest(db, parsed, { feed, repository, tag, origin, checkReferences: 'children' });
  log.debug({ repository, digest: parsed.digest, tag, origin, created: result.created }, 'manifest stored in registry');
  return manifestDescriptor(parsed);
}

/** Manifest DELETE by digest; a manifest already gone is fine, a registry without deletes is STORE_UNSUPPORTED. */
async function deleteInRegistry({ client, remote }: Ctx, repository: string, digest: string): Promise<void> {
  try {
    await client.manifestDelete(remote(repository), digest);
  } catch (err) {
    if (isFerryError(err) && (err.data as { status?: number }).status === 405) {
      throw storeError(StoreErrorCode.unsupported, 'the registry refuses deletes (enable storage.delete)', { repository, digest }, err);
    }
    throw err;
  }
}

/** Deletes the feed's manifests in the registry (its GC then reclaims blobs), then ferry's metadata. */
async function pruneFeed(ctx: Ctx, name: string): Promise<void> {
  const feed = feedGet(ctx.db, assertFeedName(name));
  if (!feed) throw storeError(StoreErrorCode.feedUnknown, 'unknown feed', { feed: name });
  if (!feed.retired) throw storeError(StoreErrorCode.feedNotRetired, 'retire the feed before pruning it', { feed: name });
  for (const { repository, digest } of feedManifests(ctx.db, name)) await deleteInRegistry(ctx, repository, digest);
  feedPrune(ctx.db, name);
}
