/**
 * Blob records, their links to repositories, and leases.
 *
 * A blob is visible in a repository only through a `repository_blobs` link (like CNCF
 * distribution): mounting is adding a link, deduplication is one file with many links.
 *
 * Leases protect blobs from GC between the moment a write starts and the moment a manifest
 * that references the blob is recorded: `blobPut` takes a lease first, the manifest
 * transaction releases the leases of what it references, otherwise they expire.
 */
import { inTransaction, nowIso, sql, type Db } from './database.js';

/** Default lifetime of a lease: long enough for a slow blob transfer followed by its manifest. */
export const DEFAULT_LEASE_MS = 60 * 60 * 1000;

function ensureRepository(db: Db, repository: string, feed: string): void {
  sql(db, 'INSERT OR IGNORE INTO repositories (name, feed, created_at) VALUES (?, ?, ?)').run(repository, feed, nowIso());
}

/** Records that the blob is stored (if not yet) and links it to the repository. Call inside a transaction. */
export function linkBlob(db: Db, feed: string, repository: string, digest: string, size: number): void {
  ensureRepository(db, repository, feed);
  sql(db, 'INSERT OR IGNORE INTO blobs (digest, size, created_at) VALUES (?, ?, ?)').run(digest, size, nowIso());
  sql(db, 'INSERT OR IGNORE INTO repository_blobs (repository, digest) VALUES (?, ?)').run(repository, digest);
}

export { ensureRepository };

/** Size of the blob if it is linked to the repository. */
export function linkedBlobSize(db: Db, repository: string, digest: string): number | undefined {
  const row = sql(db, 'SELECT b.size FROM repository_blobs l JOIN blobs b ON b.digest = l.digest WHERE l.repository = ? AND l.digest = ?').get(repository, digest) as { size: number } | undefined;
  return row?.size;
}

/** Size of the blob if the store holds it (in any repository). */
export function storedBlobSize(db: Db, digest: string): number | undefined {
  const row = sql(db, 'SELECT size FROM blobs WHERE digest = ?').get(digest) as { size: number } | undefined;
  return row?.size;
}

export function takeLease(db: Db, digest: string, ttlMs: number = DEFAULT_LEASE_MS): number {
  const result = sql(db, 'INSERT INTO leases (digest, expires_at) VALUES (?, ?)').run(digest, Date.now() + ttlMs);
  return Number(result.lastInsertRowid);
}

export function releaseLease(db: Db, id: number): void {
  sql(db, 'DELETE FROM leases WHERE id = ?').run(id);
}

/** Releases every lease on these digests (a manifest now references them). Call inside its transaction. */
export function releaseLeasesFor(db: Db, digests: Iterable<string>): void {
  const stmt = sql(db, 'DELETE FROM leases WHERE digest = ?');
  for (const digest of digests) stmt.run(digest);
}

/** True when the digest is held by an unexpired lease or referenced by any manifest in any repository. */
export function isBlobLive(db: Db, digest: string, now = Date.now()): boolean {
  const row = sql(db, `SELECT
      EXISTS (SELECT 1 FROM leases WHERE digest = @digest AND expires_at > @now)
      OR EXISTS (SELECT 1 FROM manifest_blobs WHERE blob = @digest)
      OR EXISTS (SELECT 1 FROM manifests WHERE digest = @digest) AS live`).get({ digest, now }) as { live: number };
  return row.live !== 0;
}

/** The mark set: every digest referenced by a manifest, every manifest, every leased digest. */
export function liveDigests(db: Db, now = Date.now()): Set<string> {
  return db.transaction(() => {
    const live = new Set<string>();
    for (const r of sql(db, 'SELECT DISTINCT blob AS d FROM manifest_blobs').iterate() as Iterable<{ d: string }>) live.add(r.d);
    for (const r of sql(db, 'SELECT DISTINCT digest AS d FROM manifests').iterate() as Iterable<{ d: string }>) live.add(r.d);
    for (const r of sql(db, 'SELECT digest AS d FROM leases WHERE expires_at > ?').iterate(now) as Iterable<{ d: string }>) live.add(r.d);
    return live;
  }).deferred();
}

/** Forgets a swept blob (its record and every link). Call inside the sweep transaction. */
export function forgetBlob(db: Db, digest: string): void {
  sql(db, 'DELETE FROM repository_blobs WHERE digest = ?').run(digest);
  sql(db, 'DELETE FROM blobs WHERE digest = ?').run(digest);
}

export function expireLeases(db: Db, now = Date.now()): number {
  return inTransaction(db, () => sql(db, 'DELETE FROM leases WHERE expires_at <= ?').run(now).changes);
}
