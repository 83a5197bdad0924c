/**
 * Feeds and the per-feed change log.
 *
 * The change log sequence lives in `feeds.last_seq` and is bumped inside the same transaction
 * as the change it records, so sequences are strictly increasing per feed, across processes,
 * and a reader never sees a change whose content is not stored.
 */
import type { Change, ChangeOp, ChangePage, FeedRecord } from '../store.js';
import { storeError, StoreErrorCode } from '../errors.js';
import { assertFeedName, feedOfRepository } from '../names.js';
import { inTransaction, nowIso, sql, type Db } from './database.js';

interface FeedRow {
  name: string;
  type: string;
  created_at: string;
  retired: number;
  last_seq: number;
}

const FEED_TYPE_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;
/** Upper bound of one `changes()` page. */
export const MAX_CHANGES_PAGE = 10_000;

function toRecord(row: FeedRow): FeedRecord {
  return { name: row.name, type: row.type, createdAt: row.created_at, retired: row.retired !== 0 };
}

function feedRow(db: Db, name: string): FeedRow | undefined {
  return sql(db, 'SELECT * FROM feeds WHERE name = ?').get(name) as FeedRow | undefined;
}

/** Creates the feed, or returns it (un-retiring it). A different type is refused: the data would not fit. */
export function feedEnsure(db: Db, name: string, type: string): FeedRecord {
  assertFeedName(name);
  if (!FEED_TYPE_PATTERN.test(type)) throw storeError(StoreErrorCode.feedInvalid, 'invalid feed type', { feed: name, type: type.slice(0, 40) });
  return inTransaction(db, () => {
    const existing = feedRow(db, name);
    if (existing && existing.type !== type) {
      throw storeError(StoreErrorCode.feedTypeMismatch, 'feed exists with another type', { feed: name, type: existing.type, requested: type });
    }
    if (!existing) sql(db, 'INSERT INTO feeds (name, type, created_at) VALUES (?, ?, ?)').run(name, type, nowIso());
    else if (existing.retired) sql(db, 'UPDATE feeds SET retired = 0 WHERE name = ?').run(name);
    return toRecord(feedRow(db, name) as FeedRow);
  });
}

export function feedGet(db: Db, name: string): FeedRecord | undefined {
  const row = feedRow(db, name);
  return row ? toRecord(row) : undefined;
}

export function feedList(db: Db): FeedRecord[] {
  return (sql(db, 'SELECT * FROM feeds ORDER BY name').all() as FeedRow[]).map(toRecord);
}

export function feedRetire(db: Db, name: string): void {
  const result = sql(db, 'UPDATE feeds SET retired = 1 WHERE name = ?').run(name);
  if (result.changes === 0) throw storeError(StoreErrorCode.feedUnknown, 'unknown feed', { feed: name });
}

/**
 * Deletes a retired feed's metadata (repositories, manifests, tags, blob links, change log) in
 * one transaction. Blob files are left for the next GC, which no longer finds them referenced.
 */
export function feedPrune(db: Db, name: string): void {
  inTransaction(db, () => {
    const row = feedRow(db, name);
    if (!row) throw storeError(StoreErrorCode.feedUnknown, 'unknown feed', { feed: name });
    if (!row.retired) throw storeError(StoreErrorCode.feedNotRetired, 'retire the feed before pruning it', { feed: name });
    // Cascades (foreign keys) remove repositories → manifests → references, tags, blob links, changes.
    sql(db, 'DELETE FROM feeds WHERE name = ?').run(name);
  });
}

/**
 * Validates a repository name and checks that its feed exists and is not retired.
 * Returns the feed name. Throws OCI_NAME_INVALID or STORE_FEED_UNKNOWN.
 */
export function requireActiveFeed(db: Db, repository: string): string {
  const feed = feedOfRepository(repository);
  const row = feedRow(db, feed);
  if (!row || row.retired) throw storeError(StoreErrorCode.feedUnknown, 'unknown or retired feed', { feed, repository });
  return feed;
}

export interface NewChange {
  op: ChangeOp;
  repository: string;
  tag?: string;
  digest: string;
  mediaType?: string;
  origin: string;
}

/** Appends a change to the feed's log. Must run inside the transaction that makes the change. */
export function appendChange(db: Db, feed: string, change: NewChange): number {
  const row = sql(db, 'UPDATE feeds SET last_seq = last_seq + 1 WHERE name = ? RETURNING last_seq').get(feed) as { last_seq: number } | undefined;
  if (!row) throw storeError(StoreErrorCode.feedUnknown, 'unknown feed', { feed });
  sql(db, 'INSERT INTO changes (feed, seq, op, repository, tag, digest, media_type, at, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
    feed, row.last_seq, change.op, change.repository, change.tag ?? null, change.digest, change.mediaType ?? null, nowIso(), change.origin,
  );
  return row.last_seq;
}

interface ChangeRow {
  seq: number;
  op: ChangeOp;
  repository: string;
  tag: string | null;
  digest: string;
  media_type: string | null;
  at: string;
  origin: string;
}

/** Changes with `seq > since`, oldest first. Works for retired feeds too (until pruned). */
export function changesSince(db: Db, feed: string, since: number, limit = 1000): ChangePage {
  const n = Math.min(Math.max(1, Math.floor(limit)), MAX_CHANGES_PAGE);
  return db.transaction(() => {
    const row = feedRow(db, feed);
    if (!row) throw storeError(StoreErrorCode.feedUnknown, 'unknown feed', { feed });
    const rows = sql(db, 'SELECT seq, op, repository, tag, digest, media_type, at, origin FROM changes WHERE feed = ? AND seq > ? ORDER BY seq LIMIT ?').all(feed, Math.max(0, Math.floor(since)), n) as ChangeRow[];
    const changes = rows.map((r): Change => {
      const c: Change = { seq: r.seq, op: r.op, repository: r.repository, digest: r.digest, at: r.at, origin: r.origin };
      if (r.tag !== null) c.tag = r.tag;
      if (r.media_type !== null) c.mediaType = r.media_type;
      return c;
    });
    return { changes, last: row.last_seq };
  }).deferred();
}
