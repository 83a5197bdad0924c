/**
 * Manifests, tags and referrers in SQLite, with their change-log entries.
 *
 * `recordManifest` runs after the manifest bytes are durable and writes the manifest row, its
 * references, the tag and the change-log entries in ONE transaction. A re-put of an identical
 * manifest / tag records nothing (so replication is idempotent and the log does not grow).
 */
import type { Descriptor } from '../../oci/content.js';
import type { TagPage } from '../../oci/content.js';
import type { TagRecord } from '../store.js';
import { storeError, StoreErrorCode } from '../errors.js';
import type { ParsedManifest } from '../manifest.js';
import { isDigest } from '../names.js';
import { ensureRepository, linkedBlobSize, releaseLeasesFor } from './blobs.js';
import { inTransaction, nowIso, sql, type Db } from './database.js';
import { appendChange } from './feeds.js';

export const MAX_TAG_PAGE = 10_000;

export interface ManifestRow {
  digest: string;
  mediaType: string;
  size: number;
}

export interface RecordManifestOptions {
  feed: string;
  repository: string;
  tag?: string;
  origin: string;
  /**
   * `all`: blobs (linked in the repository) and child manifests are checked here (fs).
   * `children`: only child manifests (registry: the registry checks blobs on PUT, and children
   * must be manifests ferry recorded, or ferry could not serve the index).
   */
  checkReferences: 'all' | 'children';
}

export interface RecordResult {
  created: boolean;
  tagged: boolean;
}

function manifestRow(db: Db, repository: string, digest: string): ManifestRow | undefined {
  return sql(db, 'SELECT digest, media_type AS mediaType, size FROM manifests WHERE repository = ? AND digest = ?').get(repository, digest) as ManifestRow | undefined;
}

/** Throws OCI_MANIFEST_BLOB_UNKNOWN for the first reference that is not present. */
export function checkReferences(db: Db, repository: string, parsed: ParsedManifest, which: 'all' | 'children'): void {
  for (const blob of which === 'all' ? parsed.blobs : []) {
    if (linkedBlobSize(db, repository, blob) === undefined) {
      throw storeError(StoreErrorCode.manifestBlobUnknown, 'manifest references a blob that is not in the repository', { repository, digest: blob });
    }
  }
  for (const child of parsed.children) {
    if (!manifestRow(db, repository, child)) {
      throw storeError(StoreErrorCode.manifestBlobUnknown, 'index references a manifest that is not in the repository', { repository, digest: child });
    }
  }
}

/** Records a manifest (and optionally points a tag at it) with its change-log entries. */
export function recordManifest(db: Db, parsed: ParsedManifest, options: RecordManifestOptions): RecordResult {
  const { feed, repository, tag, origin } = options;
  return inTransaction(db, () => {
    checkReferences(db, repository, parsed, options.checkReferences);
    ensureRepository(db, repository, feed);
    const created = !manifestRow(db, repository, parsed.digest);
    if (created) {
      sql(db, 'INSERT INTO manifests (repository, digest, media_type, size, artifact_type, subject, annotations, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
        repository, parsed.digest, parsed.mediaType, parsed.size, parsed.artifactType ?? null, parsed.subject ?? null,
        parsed.annotations ? JSON.stringify(parsed.annotations) : null, nowIso(),
      );
      const blobStmt = sql(db, 'INSERT OR IGNORE INTO manifest_blobs (repository, manifest, blob) VALUES (?, ?, ?)');
      for (const blob of parsed.blobs) blobStmt.run(repository, parsed.digest, blob);
      const childStmt = sql(db, 'INSERT OR IGNORE INTO manifest_children (repository, manifest, child) VALUES (?, ?, ?)');
      for (const child of parsed.children) childStmt.run(repository, parsed.digest, child);
      appendChange(db, feed, { op: 'put', repository, digest: parsed.digest, mediaType: parsed.mediaType, origin });
    }
    releaseLeasesFor(db, [parsed.digest, ...parsed.blobs]);
    const tagged = tag !== undefined && pointTag(db, feed, repository, tag, parsed, origin);
    return { created, tagged };
  });
}

function pointTag(db: Db, feed: string, repository: string, tag: string, parsed: ParsedManifest, origin: string): boolean {
  const current = sql(db, 'SELECT digest FROM tags WHERE repository = ? AND tag = ?').get(repository, tag) as { digest: string } | undefined;
  if (current?.digest === parsed.digest) return false;
  sql(db, 'INSERT INTO tags (repository, tag, digest, updated_at, origin) VALUES (?, ?, ?, ?, ?) ON CONFLICT (repository, tag) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at, origin = excluded.origin')
    .run(repository, tag, parsed.digest, nowIso(), origin);
  appendChange(db, feed, { op: 'tag', repository, tag, digest: parsed.digest, mediaType: parsed.mediaType, origin });
  return true;
}

/** Resolves a tag or digest in the repository. */
export function resolveManifest(db: Db, repository: string, reference: string): ManifestRow | undefined {
  if (isDigest(reference)) return manifestRow(db, repository, reference);
  return sql(db, 'SELECT m.digest, m.media_type AS mediaType, m.size FROM tags t JOIN manifests m ON m.repository = t.repository AND m.digest = t.digest WHERE t.repository = ? AND t.tag = ?')
    .get(repository, reference) as ManifestRow | undefined;
}

/** Deletes a manifest and its tags: one `untag` per tag, then `delete`. Returns false if absent. */
export function removeManifest(db: Db, feed: string, repository: string, digest: string, origin: string): boolean {
  return inTransaction(db, () => {
    const row = manifestRow(db, repository, digest);
    if (!row) return false;
    const tags = sql(db, 'SELECT tag FROM tags WHERE repository = ? AND digest = ? ORDER BY tag').all(repository, digest) as { tag: string }[];
    for (const { tag } of tags) {
      sql(db, 'DELETE FROM tags WHERE repository = ? AND tag = ?').run(repository, tag);
      appendChange(db, feed, { op: 'untag', repository, tag, digest, mediaType: row.mediaType, origin });
    }
    sql(db, 'DELETE FROM manifests WHERE repository = ? AND digest = ?').run(repository, digest);
    appendChange(db, feed, { op: 'delete', repository, digest, mediaType: row.mediaType, origin });
    return true;
  });
}

/** Removes a tag (the manifest stays, untagged). Returns false if the tag did not exist. */
export function removeTag(db: Db, feed: string, repository: string, tag: string, origin: string): boolean {
  return inTransaction(db, () => {
    const row = resolveManifest(db, repository, tag);
    if (!row) return false;
    sql(db, 'DELETE FROM tags WHERE repository = ? AND tag = ?').run(repository, tag);
    appendChange(db, feed, { op: 'untag', repository, tag, digest: row.digest, mediaType: row.mediaType, origin });
    return true;
  });
}

export function repositoryExists(db: Db, repository: string): boolean {
  return sql(db, 'SELECT 1 FROM repositories WHERE name = ?').get(repository) !== undefined;
}

/** Repositories holding at least one manifest, sorted; of one feed or of every active feed. */
export function repositoryList(db: Db, feed?: string): string[] {
  const query = feed === undefined
    ? 'SELECT r.name FROM repositories r JOIN feeds f ON f.name = r.feed WHERE f.retired = 0 AND EXISTS (SELECT 1 FROM manifests m WHERE m.repository = r.name) ORDER BY r.name'
    : 'SELECT r.name FROM repositories r WHERE r.feed = ? AND EXISTS (SELECT 1 FROM manifests m WHERE m.repository = r.name) ORDER BY r.name';
  const rows = (feed === undefined ? sql(db, query).all() : sql(db, query).all(feed)) as { name: string }[];
  return rows.map((r) => r.name);
}

/** One page of tags in byte order, after `last`, at most `n` (distribution spec tag listing). */
export function tagPage(db: Db, repository: string, last: string | undefined, n: number | undefined): TagPage {
  const limit = Math.min(Math.max(0, Math.floor(n ?? MAX_TAG_PAGE)), MAX_TAG_PAGE);
  if (limit === 0) return { tags: [] };
  const rows = sql(db, 'SELECT tag FROM tags WHERE repository = ? AND tag > ? ORDER BY tag LIMIT ?').all(repository, last ?? '', limit + 1) as { tag: string }[];
  const tags = rows.slice(0, limit).map((r) => r.tag);
  return rows.length > limit ? { tags, next: tags[tags.length - 1] as string } : { tags };
}

interface TagRow {
  repository: string;
  tag: string;
  digest: string;
  media_type: string;
  updated_at: string;
  origin: string;
}

const TAG_SELECT = 'SELECT t.repository, t.tag, t.digest, m.media_type, t.updated_at, t.origin FROM tags t JOIN manifests m ON m.repository = t.repository AND m.digest = t.digest';

function toTagRecord(r: TagRow): TagRecord {
  return { repository: r.repository, tag: r.tag, digest: r.digest, mediaType: r.media_type, updatedAt: r.updated_at, origin: r.origin };
}

export function tagGet(db: Db, repository: string, tag: string): TagRecord | undefined {
  const row = sql(db, `${TAG_SELECT} WHERE t.repository = ? AND t.tag = ?`).get(repository, tag) as TagRow | undefined;
  return row ? toTagRecord(row) : undefined;
}

export function tagRecords(db: Db, options: { feed?: string; repository?: string }): TagRecord[] {
  if (options.repository !== undefined) {
    return (sql(db, `${TAG_SELECT} WHERE t.repository = ? ORDER BY t.tag`).all(options.repository) as TagRow[]).map(toTagRecord);
  }
  if (options.feed !== undefined) {
    return (sql(db, `${TAG_SELECT} JOIN repositories r ON r.name = t.repository WHERE r.feed = ? ORDER BY t.repository, t.tag`).all(options.feed) as TagRow[]).map(toTagRecord);
  }
  return (sql(db, `${TAG_SELECT} ORDER BY t.repository, t.tag`).all() as TagRow[]).map(toTagRecord);
}

interface ReferrerRow {
  digest: string;
  media_type: string;
  size: number;
  artifact_type: string | null;
  annotations: string | null;
}

/** Manifests of the repository whose subject is `digest`, optionally of one artifact type. */
export function referrers(db: Db, repository: string, digest: string, artifactType?: string): Descriptor[] {
  const rows = (artifactType === undefined
    ? sql(db, 'SELECT digest, media_type, size, artifact_type, annotations FROM manifests WHERE repository = ? AND subject = ? ORDER BY created_at, digest').all(repository, digest)
    : sql(db, 'SELECT digest, media_type, size, artifact_type, annotations FROM manifests WHERE repository = ? AND subject = ? AND artifact_type = ? ORDER BY created_at, digest').all(repository, digest, artifactType)) as ReferrerRow[];
  return rows.map((r) => {
    const d: Descriptor = { mediaType: r.media_type, digest: r.digest, size: r.size };
    if (r.artifact_type !== null) d.artifactType = r.artifact_type;
    if (r.annotations !== null) d.annotations = JSON.parse(r.annotations) as Record<string, string>;
    return d;
  });
}

/** Every manifest of every repository of the feed (for backends that must delete content elsewhere). */
export function feedManifests(db: Db, feed: string): { repository: string; digest: string }[] {
  return sql(db, 'SELECT m.repository, m.digest FROM manifests m JOIN repositories r ON r.name = m.repository WHERE r.feed = ? ORDER BY m.repository, m.digest').all(feed) as { repository: string; digest: string }[];
}
