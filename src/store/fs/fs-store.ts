/**
 * The embedded store: an OCI image layout on local disk plus SQLite metadata (see layout.ts and
 * docs/store.md).
 *
 * Guarantees:
 * - Nothing partial is visible: blob and manifest bytes become files under `blobs/` only after
 *   verification, fsync and rename (src/util/blob-file.ts); metadata and change-log entries are
 *   written in one SQLite transaction after the bytes are durable. After `kill -9` at any point,
 *   a reopened store shows every operation either complete or absent; an interrupted blob resumes
 *   from `partial/`.
 * - Safe for concurrent writers in one process and across processes on the same directory
 *   (SQLite write lock with busy_timeout; per-blob lock files in blob-file.ts).
 * - GC never deletes a blob an in-flight write is about to reference: writes hold a lease, and
 *   the lease check and the deletion share one transaction with the writer's existence check.
 */
import { open } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { BlobStream, Descriptor, FetchedManifest, OpenBlobSource } from '../../oci/content.js';
import { silentLogger, type Logger } from '../../log/index.js';
import { writeBlobFile } from '../../util/blob-file.js';
import { catalogMethods, requireManifest } from '../catalog.js';
import { mapDiskFull, storeError, StoreErrorCode } from '../errors.js';
import { manifestDescriptor, parsePush } from '../manifest.js';
import { assertDigest, assertTag, normaliseOrigin } from '../names.js';
import type { GcResult, Store, WriteContext } from '../store.js';
import { DEFAULT_LEASE_MS, linkBlob, linkedBlobSize, releaseLease, takeLease } from '../sqlite/blobs.js';
import { inTransaction, openDatabase, type Db } from '../sqlite/database.js';
import { requireActiveFeed } from '../sqlite/feeds.js';
import { checkReferences, recordManifest, removeManifest, removeTag } from '../sqlite/manifests.js';
import { runGc, DEFAULT_GC_GRACE_MS, DEFAULT_PARTIAL_MAX_AGE_MS } from './gc.js';
import { fileSize, initLayout, layoutOf, readManifestFile, type Layout } from './layout.js';

export interface FsStoreOptions {
  /** Directory of the store (created if missing). */
  dir: string;
  log?: Logger;
  /** Lifetime of a blob lease (from `blobPut`/`blobMount` until a manifest references the blob). */
  leaseMs?: number;
  /** GC leaves blob files younger than this alone, leased or not. */
  gcGraceMs?: number;
  /** GC deletes partial downloads untouched for this long. */
  partialMaxAgeMs?: number;
  /** How long a writer waits for another process's SQLite write lock. */
  busyTimeoutMs?: number;
}

/** Opens (creating if needed) the fs store in `dir`. Several processes may open the same dir. */
export async function createFsStore(options: FsStoreOptions): Promise<Store> {
  const { dir, log = silentLogger, leaseMs = DEFAULT_LEASE_MS, gcGraceMs = DEFAULT_GC_GRACE_MS, partialMaxAgeMs = DEFAULT_PARTIAL_MAX_AGE_MS } = options;
  const layout = layoutOf(dir);
  await initLayout(layout);
  const db = openDatabase(layout.dbPath, { busyTimeoutMs: options.busyTimeoutMs });
  let closed = false;

  const store: Store = {
    description: `fs:${dir}`,
    ...catalogMethods(db),

    blobHead: async (repository, digest) => blobHead(db, layout, repository, digest),
    blobGet: async (repository, digest, opts) => blobGet(db, layout, repository, digest, opts?.offset ?? 0),
    blobPut: async (repository, descriptor, openSource, opts) => blobPut(db, layout, { repository, descriptor, open: openSource, signal: opts?.signal, leaseMs, log }),
    async blobMount(repository, fromRepository, digest) {
      const feed = requireActiveFeed(db, repository);
      requireActiveFeed(db, fromRepository);
      assertDigest(digest);
      return inTransaction(db, () => {
        const size = linkedBlobSize(db, fromRepository, digest);
        if (size === undefined || !existsSync(layout.blobPath(digest))) return false;
        takeLease(db, digest, leaseMs);
        linkBlob(db, feed, repository, digest, size);
        return true;
      });
    },

    async manifestGet(repository, reference): Promise<FetchedManifest> {
      requireActiveFeed(db, repository);
      const row = requireManifest(db, repository, reference);
      const body = await readManifestFile(layout, row.digest, row.size);
      return { descriptor: { mediaType: row.mediaType, digest: row.digest, size: row.size }, body };
    },
    manifestPut: async (repository, reference, mediaType, body) => manifestPut(db, layout, { repository, reference, mediaType, body, origin: 'local', leaseMs, log }),
    manifestPutWithContext: async (repository, reference, mediaType, body, context) =>
      manifestPut(db, layout, { repository, reference, mediaType, body, origin: normaliseOrigin(context.origin), leaseMs, log }),

    async tagDelete(repository: string, tag: string, context?: WriteContext): Promise<boolean> {
      const feed = requireActiveFeed(db, repository);
      return removeTag(db, feed, repository, assertTag(tag), normaliseOrigin(context?.origin));
    },
    async manifestDelete(repository: string, digest: string, context?: WriteContext): Promise<boolean> {
      const feed = requireActiveFeed(db, repository);
      return removeManifest(db, feed, repository, assertDigest(digest), normaliseOrigin(context?.origin));
    },

    gc: async (): Promise<GcResult> => runGc(db, layout, { graceMs: gcGraceMs, partialMaxAgeMs, log }),
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
  return store;
}

async function blobHead(db: Db, layout: Layout, repository: string, digest: string): Promise<number | undefined> {
  requireActiveFeed(db, repository);
  const size = linkedBlobSize(db, repository, assertDigest(digest));
  if (size === undefined) return undefined;
  return (await fileSize(layout.blobPath(digest))) === undefined ? undefined : size;
}

async function blobGet(db: Db, layout: Layout, repository: string, digest: string, offset: number): Promise<BlobStream> {
  requireActiveFeed(db, repository);
  if (linkedBlobSize(db, repository, assertDigest(digest)) === undefined) throw storeError(StoreErrorCode.blobUnknown, 'blob unknown', { repository, digest });
  let handle;
  try {
    // Open before stat: a GC that unlinks the file afterwards cannot cut this reader short.
    handle = await open(layout.blobPath(digest), 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw storeError(StoreErrorCode.blobUnknown, 'blob unknown', { repository, digest });
    throw err;
  }
  const { size } = await handle.stat();
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > size) {
    await handle.close();
    throw storeError(StoreErrorCode.rangeInvalid, 'offset beyond the end of the blob', { repository, digest, offset, size });
  }
  // The stream owns the handle: closed on end, error or destroy.
  const stream = handle.createReadStream({ start: offset, autoClose: true, highWaterMark: 1024 * 1024 });
  return { stream, size, offset };
}

interface BlobPutArgs {
  repository: string;
  descriptor: Descriptor;
  open: OpenBlobSource;
  signal?: AbortSignal;
  leaseMs: number;
  log: Logger;
}

async function blobPut(db: Db, layout: Layout, args: BlobPutArgs): Promise<{ transferred: number }> {
  const { repository, descriptor } = args;
  const feed = requireActiveFeed(db, repository);
  const digest = assertDigest(descriptor.digest);
  if (!Number.isSafeInteger(descriptor.size) || descriptor.size < 0) throw storeError(StoreErrorCode.blobSizeMismatch, 'invalid blob size', { digest, size: descriptor.size });
  const finalPath = layout.blobPath(digest);
  // Lease and look in one write transaction; GC re-checks leases and deletes in one too, so a
  // file seen here stays, and a file not seen is written again under the committed lease.
  let leaseId = 0;
  const present = inTransaction(db, () => {
    leaseId = takeLease(db, digest, args.leaseMs);
    return linkExisting(db, feed, repository, digest, descriptor.size, finalPath);
  });
  if (present) return { transferred: 0 };
  try {
    const result = await writeBlobFile({ finalPath, partialPath: layout.partialPath(digest), digest, size: descriptor.size, open: args.open, signal: args.signal });
    if (!linkExisting(db, feed, repository, digest, descriptor.size, finalPath)) {
      throw storeError(StoreErrorCode.corrupt, 'blob vanished after it was written', { digest });
    }
    args.log.debug({ repository, digest, transferred: result.transferred }, 'blob stored');
    return result;
  } catch (err) {
    releaseLease(db, leaseId);
    throw mapDiskFull(err, { repository, digest });
  }
}

/** Links the blob if its file is present (a complete, verified file); false when it is not. */
function linkExisting(db: Db, feed: string, repository: string, digest: string, size: number, finalPath: string): boolean {
  return inTransaction(db, () => {
    let actual: number;
    try {
      actual = statSync(finalPath).size;
    } catch {
      return false;
    }
    if (actual !== size) throw storeError(StoreErrorCode.blobSizeMismatch, 'descriptor size differs from the stored blob', { digest, expected: size, actual });
    linkBlob(db, feed, repository, digest, size);
    return true;
  });
}

interface ManifestPutArgs {
  repository: string;
  reference: string;
  mediaType: string;
  body: Buffer;
  origin: string;
  leaseMs: number;
  log: Logger;
}

async function manifestPut(db: Db, layout: Layout, args: ManifestPutArgs): Promise<Descriptor> {
  const { repository, reference, body, origin } = args;
  const feed = requireActiveFeed(db, repository);
  const { parsed, tag } = parsePush(repository, reference, args.mediaType, body);
  const descriptor = manifestDescriptor(parsed);
  const record = (): void => {
    const result = recordManifest(db, parsed, { feed, repository, tag, origin, checkReferences: 'all' });
    args.log.debug({ repository, digest: parsed.digest, tag, origin, created: result.created }, 'manifest stored');
  };
  // Fast path (re-tag, re-put): the bytes are already stored; checked and recorded under the
  // write lock, so GC cannot remove the file in between. One commit, no lease.
  let stored: boolean;
  try {
    stored = inTransaction(db, () => (existsSync(layout.blobPath(parsed.digest)) ? (record(), true) : false));
  } catch (err) {
    throw mapDiskFull(err, { repository, digest: parsed.digest });
  }
  if (stored) return descriptor;

  checkReferences(db, repository, parsed, 'all'); // fail fast; checked again in the transaction
  const leaseId = takeLease(db, parsed.digest, args.leaseMs);
  try {
    await writeBlobFile({
      finalPath: layout.blobPath(parsed.digest),
      partialPath: layout.partialPath(parsed.digest),
      digest: parsed.digest,
      size: parsed.size,
      open: async () => ({ stream: Readable.from([body]), size: body.length, offset: 0 }),
    });
    record();
  } catch (err) {
    // On success recordManifest released the lease; on failure GC may reclaim the unreferenced file.
    releaseLease(db, leaseId);
    throw mapDiskFull(err, { repository, digest: parsed.digest });
  }
  return descriptor;
}
