/**
 * ferry's store metadata in SQLite (better-sqlite3, synchronous): feeds, repositories, blobs and
 * their per-repository links, manifests with their references, tags, the per-feed change log
 * and blob leases. Shared by both backends (fs and registry). See docs/store.md for the schema.
 *
 * WAL mode lets readers run while one writer commits; `busy_timeout` makes concurrent writers
 * (other processes on the same directory) wait for the write lock instead of failing. Every
 * multi-row change runs in one `BEGIN IMMEDIATE` transaction (`db.transaction(fn).immediate()`),
 * so a crash leaves either all of it or none of it.
 */
import Database from 'better-sqlite3';

export type Db = Database.Database;

export const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS feeds (
  name TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  created_at TEXT NOT NULL,
  retired INTEGER NOT NULL DEFAULT 0,
  last_seq INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS repositories (
  name TEXT PRIMARY KEY,
  feed TEXT NOT NULL REFERENCES feeds(name) ON DELETE CASCADE,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS repositories_feed ON repositories(feed);
CREATE TABLE IF NOT EXISTS blobs (
  digest TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS repository_blobs (
  repository TEXT NOT NULL REFERENCES repositories(name) ON DELETE CASCADE,
  digest TEXT NOT NULL,
  PRIMARY KEY (repository, digest)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS repository_blobs_digest ON repository_blobs(digest);
CREATE TABLE IF NOT EXISTS manifests (
  repository TEXT NOT NULL REFERENCES repositories(name) ON DELETE CASCADE,
  digest TEXT NOT NULL,
  media_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  artifact_type TEXT,
  subject TEXT,
  annotations TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (repository, digest)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS manifests_digest ON manifests(digest);
CREATE INDEX IF NOT EXISTS manifests_subject ON manifests(repository, subject) WHERE subject IS NOT NULL;
CREATE TABLE IF NOT EXISTS manifest_blobs (
  repository TEXT NOT NULL,
  manifest TEXT NOT NULL,
  blob TEXT NOT NULL,
  PRIMARY KEY (repository, manifest, blob),
  FOREIGN KEY (repository, manifest) REFERENCES manifests(repository, digest) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS manifest_blobs_blob ON manifest_blobs(blob);
CREATE TABLE IF NOT EXISTS manifest_children (
  repository TEXT NOT NULL,
  manifest TEXT NOT NULL,
  child TEXT NOT NULL,
  PRIMARY KEY (repository, manifest, child),
  FOREIGN KEY (repository, manifest) REFERENCES manifests(repository, digest) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tags (
  repository TEXT NOT NULL,
  tag TEXT NOT NULL,
  digest TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  origin TEXT NOT NULL,
  PRIMARY KEY (repository, tag),
  FOREIGN KEY (repository, digest) REFERENCES manifests(repository, digest) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tags_digest ON tags(repository, digest);
CREATE TABLE IF NOT EXISTS changes (
  feed TEXT NOT NULL REFERENCES feeds(name) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  op TEXT NOT NULL CHECK (op IN ('put', 'tag', 'untag', 'delete')),
  repository TEXT NOT NULL,
  tag TEXT,
  digest TEXT NOT NULL,
  media_type TEXT,
  at TEXT NOT NULL,
  origin TEXT NOT NULL,
  PRIMARY KEY (feed, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS leases (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  digest TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS leases_digest ON leases(digest);
`;

export interface OpenDatabaseOptions {
  /** How long a writer waits for another process's write lock before failing. */
  busyTimeoutMs?: number;
}

/** Opens (creating if needed) the metadata database at `path` and applies the schema. */
export function openDatabase(path: string, { busyTimeoutMs = 15_000 }: OpenDatabaseOptions = {}): Db {
  const db = new Database(path);
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  db.pragma('journal_mode = WAL');
  // FULL: a committed transaction survives power loss, not only a process kill.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.transaction(() => {
    db.exec(SCHEMA);
    db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run('schemaVersion', String(SCHEMA_VERSION));
  }).immediate();
  return db;
}

/** Runs `fn` in one BEGIN IMMEDIATE transaction (takes the write lock up front: no upgrade deadlocks). */
export function inTransaction<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate();
}

const statements = new WeakMap<Db, Map<string, Database.Statement>>();

/** A prepared statement, compiled once per connection (hot paths run the same SQL many times). */
export function sql(db: Db, text: string): Database.Statement {
  let cache = statements.get(db);
  if (!cache) statements.set(db, (cache = new Map()));
  let stmt = cache.get(text);
  if (!stmt) cache.set(text, (stmt = db.prepare(text)));
  return stmt;
}

export function nowIso(): string {
  return new Date().toISOString();
}
