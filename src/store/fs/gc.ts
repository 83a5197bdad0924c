/**
 * Mark-and-sweep GC of the fs store's blob files.
 *
 * Mark: every manifest of every repository (retired-but-not-pruned feeds included), every blob
 * they reference, and every digest under an unexpired lease. Sweep: each file under
 * `blobs/sha256/` outside that set and older than the grace period is re-checked and deleted
 * inside one SQLite write transaction. `blobPut` takes its lease and checks for the file inside
 * the same write lock, so a writer either sees the file and keeps it alive with its lease, or
 * finds it gone and writes it again: GC never deletes a blob an in-flight write will reference.
 */
import { readdirSync, statSync, unlinkSync } from 'node:fs';
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../log/index.js';
import type { GcResult } from '../store.js';
import { expireLeases, forgetBlob, isBlobLive, liveDigests } from '../sqlite/blobs.js';
import { inTransaction, type Db } from '../sqlite/database.js';
import { fileSize, type Layout } from './layout.js';

/** Files younger than this are never swept (a write may be about to take its lease). */
export const DEFAULT_GC_GRACE_MS = 10 * 60 * 1000;
/** Partial downloads untouched for this long are deleted (a resume after a day is unlikely). */
export const DEFAULT_PARTIAL_MAX_AGE_MS = 24 * 60 * 60 * 1000;

const HEX = /^[a-f0-9]{64}$/;

export interface GcOptions {
  graceMs: number;
  partialMaxAgeMs: number;
  log: Logger;
}

export async function runGc(db: Db, layout: Layout, options: GcOptions): Promise<GcResult> {
  const started = Date.now();
  expireLeases(db, started);
  const live = liveDigests(db, started);
  const result: GcResult = { blobsDeleted: 0, bytesFreed: 0 };
  for (const name of readdirSync(layout.blobsDir)) {
    if (!HEX.test(name)) continue;
    const digest = `sha256:${name}`;
    if (live.has(digest)) continue;
    const freed = sweepOne(db, join(layout.blobsDir, name), digest, options.graceMs);
    if (freed !== undefined) {
      result.blobsDeleted++;
      result.bytesFreed += freed;
    }
  }
  await sweepPartials(layout, options.partialMaxAgeMs);
  options.log.info({ ...result, ms: Date.now() - started }, 'gc finished');
  return result;
}

/** Re-checks and deletes one candidate under the write lock. Returns the bytes freed, or undefined if kept. */
function sweepOne(db: Db, path: string, digest: string, graceMs: number): number | undefined {
  return inTransaction(db, () => {
    let st;
    try {
      st = statSync(path);
    } catch {
      return undefined;
    }
    if (Date.now() - st.mtimeMs < graceMs) return undefined;
    if (isBlobLive(db, digest)) return undefined;
    unlinkSync(path);
    forgetBlob(db, digest);
    return st.size;
  });
}

/** Deletes stale partial downloads (and their stale lock files), keeping recent ones for resume. */
async function sweepPartials(layout: Layout, maxAgeMs: number): Promise<void> {
  const now = Date.now();
  for (const name of await readdir(layout.partialDir)) {
    if (!HEX.test(name)) continue;
    const path = join(layout.partialDir, name);
    if ((await fileSize(`${path}.lock`)) !== undefined) continue;
    try {
      if (now - (await stat(path)).mtimeMs > maxAgeMs) await unlink(path);
    } catch {
      // vanished meanwhile (completed or swept by another process)
    }
  }
}
