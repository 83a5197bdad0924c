/**
 * The controller's own state (not content): applied commit, replication cursors, run history,
 * conditions, mirror bookkeeping and conflicts. One SQLite file (`<dataDir>/state.db`, WAL).
 *
 * Contracts:
 * - A run is inserted as `running` and always ends as `succeeded`, `failed` or `skipped`; runs
 *   left `running` by a killed process are closed as `failed` (`INTERRUPTED`) when the DB opens,
 *   so no job is ever shown "in progress" forever.
 * - A cursor only moves forward, and only after the content it covers is stored.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export const RunResult = { running: 'running', succeeded: 'succeeded', failed: 'failed', skipped: 'skipped' } as const;
export type RunResult = (typeof RunResult)[keyof typeof RunResult];

export interface RunRecord {
  id: number;
  replication: string;
  trigger: string;
  startedAt: string;
  endedAt?: string;
  result: RunResult;
  items: number;
  bytes: number;
  errorCode?: string;
  errorMessage?: string;
  /** Which peer served the run (primary or a fallback site). */
  peer?: string;
  log: string[];
}

export interface ConditionRecord {
  kind: string;
  name: string;
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedCommit?: string;
  lastTransitionTime: string;
}

export interface ConflictRecord {
  id: number;
  replication: string;
  repository: string;
  tag: string;
  localDigest: string;
  remoteDigest: string;
  winner: 'local' | 'remote';
  at: string;
}

const schema = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cursors (replication TEXT NOT NULL, peer TEXT NOT NULL, seq INTEGER NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (replication, peer));
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT, replication TEXT NOT NULL, trigger TEXT NOT NULL, started_at TEXT NOT NULL, ended_at TEXT,
  result TEXT NOT NULL, items INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0, error_code TEXT, error_message TEXT, peer TEXT, log TEXT NOT NULL DEFAULT '[]');
CREATE INDEX IF NOT EXISTS runs_by_replication ON runs (replication, id);
CREATE TABLE IF NOT EXISTS conditions (
  kind TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL, status TEXT NOT NULL, reason TEXT NOT NULL, message TEXT NOT NULL,
  observed_commit TEXT, last_transition TEXT NOT NULL, PRIMARY KEY (kind, name, type));
CREATE TABLE IF NOT EXISTS mirror_state (replication TEXT NOT NULL, repository TEXT NOT NULL, tag TEXT NOT NULL, digest TEXT NOT NULL, synced_at TEXT NOT NULL, PRIMARY KEY (replication, repository, tag));
CREATE TABLE IF NOT EXISTS conflicts (
  id INTEGER PRIMARY KEY AUTOINCREMENT, replication TEXT NOT NULL, repository TEXT NOT NULL, tag TEXT NOT NULL,
  local_digest TEXT NOT NULL, remote_digest TEXT NOT NULL, winner TEXT NOT NULL, at TEXT NOT NULL);
`;

const MAX_LOG_LINES = 200;

interface RunRow {
  id: number; replication: string; trigger: string; started_at: string; ended_at: string | null; result: RunResult;
  items: number; bytes: number; error_code: string | null; error_message: string | null; peer: string | null; log: string;
}

function toRun(row: RunRow): RunRecord {
  return {
    id: row.id, replication: row.replication, trigger: row.trigger, startedAt: row.started_at, result: row.result,
    items: row.items, bytes: row.bytes, log: JSON.parse(row.log) as string[],
    ...(row.ended_at ? { endedAt: row.ended_at } : {}),
    ...(row.error_code ? { errorCode: row.error_code } : {}),
    ...(row.error_message ? { errorMessage: row.error_message } : {}),
    ...(row.peer ? { peer: row.peer } : {}),
  };
}

export class StateDb {
  private readonly db: Database.Database;

  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(schema);
    this.db
      .prepare(`UPDATE runs SET result = 'failed', ended_at = ?, error_code = 'INTERRUPTED', error_message = 'the controller stopped during this run' WHERE result = 'running'`)
      .run(new Date().toISOString());
  }

  close(): void {
    this.db.close();
  }

  getMeta(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  getCursor(replication: string, peer: string): number {
    return (this.db.prepare('SELECT seq FROM cursors WHERE replication = ? AND peer = ?').get(replication, peer) as { seq: number } | undefined)?.seq ?? 0;
  }

  /** Moves the cursor forward; a lower value is ignored (contract: cursors never go back). */
  advanceCursor(replication: string, peer: string, seq: number): void {
    this.db
      .prepare(`INSERT INTO cursors (replication, peer, seq, updated_at) VALUES (?, ?, ?, ?)
        ON CONFLICT(replication, peer) DO UPDATE SET seq = MAX(seq, excluded.seq), updated_at = excluded.updated_at`)
      .run(replication, peer, seq, new Date().toISOString());
  }

  /** Forgets where a replication was (change-log cursors and an upstream scan's resume point). */
  resetCursors(replication: string): void {
    this.db.prepare('DELETE FROM cursors WHERE replication = ?').run(replication);
    this.db.prepare('DELETE FROM meta WHERE key = ?').run(`upstream-resume:${replication}`);
  }

  startRun(replication: string, trigger: string): number {
    const info = this.db.prepare(`INSERT INTO runs (replication, trigger, started_at, result) VALUES (?, ?, ?, 'running')`).run(replication, trigger, new Date().toISOString());
    return Number(info.lastInsertRowid);
  }

  finishRun(id: number, outcome: { result: Exclude<RunResult, 'running'>; items: number; bytes: number; errorCode?: string; errorMessage?: string; peer?: string; log: string[] }): void {
    this.db
      .prepare(`UPDATE runs SET ended_at = ?, result = ?, items = ?, bytes = ?, error_code = ?, error_message = ?, peer = ?, log = ? WHERE id = ?`)
      .run(new Date().toISOString(), outcome.result, outcome.items, outcome.bytes, outcome.errorCode ?? null, outcome.errorMessage ?? null, outcome.peer ?? null,
        JSON.stringify(outcome.log.slice(-MAX_LOG_LINES)), id);
  }

  runs(replication: string, limit = 50): RunRecord[] {
    const rows = this.db.prepare('SELECT * FROM runs WHERE replication = ? ORDER BY id DESC LIMIT ?').all(replication, Math.min(limit, 500)) as RunRow[];
    return rows.map(toRun);
  }

  lastRun(replication: string, result?: RunResult): RunRecord | undefined {
    const row = result
      ? this.db.prepare('SELECT * FROM runs WHERE replication = ? AND result = ? ORDER BY id DESC LIMIT 1').get(replication, result)
      : this.db.prepare('SELECT * FROM runs WHERE replication = ? ORDER BY id DESC LIMIT 1').get(replication);
    return row ? toRun(row as RunRow) : undefined;
  }

  /** Sets a condition; `lastTransitionTime` changes only when the status changes. */
  setCondition(c: Omit<ConditionRecord, 'lastTransitionTime'>): void {
    const existing = this.db.prepare('SELECT status, last_transition FROM conditions WHERE kind = ? AND name = ? AND type = ?').get(c.kind, c.name, c.type) as
      | { status: string; last_transition: string }
      | undefined;
    const transition = existing && existing.status === c.status ? existing.last_transition : new Date().toISOString();
    this.db
      .prepare(`INSERT INTO conditions (kind, name, type, status, reason, message, observed_commit, last_transition) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(kind, name, type) DO UPDATE SET status = excluded.status, reason = excluded.reason, message = excluded.message,
        observed_commit = excluded.observed_commit, last_transition = excluded.last_transition`)
      .run(c.kind, c.name, c.type, c.status, c.reason, c.message, c.observedCommit ?? null, transition);
  }

  removeConditions(kind: string, name: string, keepTypes: readonly string[] = []): void {
    const rows = this.db.prepare('SELECT type FROM conditions WHERE kind = ? AND name = ?').all(kind, name) as Array<{ type: string }>;
    for (const { type } of rows) {
      if (!keepTypes.includes(type)) this.db.prepare('DELETE FROM conditions WHERE kind = ? AND name = ? AND type = ?').run(kind, name, type);
    }
  }

  conditions(): ConditionRecord[] {
    const rows = this.db.prepare('SELECT * FROM conditions ORDER BY kind, name, type').all() as Array<Record<string, string | null>>;
    return rows.map((r) => ({
      kind: r.kind as string, name: r.name as string, type: r.type as string, status: r.status as ConditionRecord['status'],
      reason: r.reason as string, message: r.message as string, lastTransitionTime: r.last_transition as string,
      ...(r.observed_commit ? { observedCommit: r.observed_commit } : {}),
    }));
  }

  mirrorState(replication: string, repository: string, tag: string): string | undefined {
    return (this.db.prepare('SELECT digest FROM mirror_state WHERE replication = ? AND repository = ? AND tag = ?').get(replication, repository, tag) as { digest: string } | undefined)?.digest;
  }

  setMirrorState(replication: string, repository: string, tag: string, digest: string | undefined): void {
    if (digest === undefined) {
      this.db.prepare('DELETE FROM mirror_state WHERE replication = ? AND repository = ? AND tag = ?').run(replication, repository, tag);
      return;
    }
    this.db
      .prepare(`INSERT INTO mirror_state (replication, repository, tag, digest, synced_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT(replication, repository, tag) DO UPDATE SET digest = excluded.digest, synced_at = excluded.synced_at`)
      .run(replication, repository, tag, digest, new Date().toISOString());
  }

  recordConflict(c: Omit<ConflictRecord, 'id' | 'at'>): void {
    this.db.prepare('INSERT INTO conflicts (replication, repository, tag, local_digest, remote_digest, winner, at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(c.replication, c.repository, c.tag, c.localDigest, c.remoteDigest, c.winner, new Date().toISOString());
  }

  conflicts(replication?: string, limit = 100): ConflictRecord[] {
    const rows = (replication
      ? this.db.prepare('SELECT * FROM conflicts WHERE replication = ? ORDER BY id DESC LIMIT ?').all(replication, limit)
      : this.db.prepare('SELECT * FROM conflicts ORDER BY id DESC LIMIT ?').all(limit)) as Array<Record<string, string | number>>;
    return rows.map((r) => ({
      id: r.id as number, replication: r.replication as string, repository: r.repository as string, tag: r.tag as string,
      localDigest: r.local_digest as string, remoteDigest: r.remote_digest as string, winner: r.winner as 'local' | 'remote', at: r.at as string,
    }));
  }
}
