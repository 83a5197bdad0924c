/**
 * Feed retention (`Feed.spec.retention`): per repository (an image or a package), keep the
 * `keepLatest` most recently updated tags and drop tags older than `maxAge`. Removed tags are
 * recorded in the change log with origin `retention` (so spokes with `deletes: propagate`
 * follow); blobs are freed by the next GC. Runs on the controller's maintenance timer, never
 * inside a replication.
 */
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import type { PlannedFeed } from '../plan/types.js';
import { parseDuration } from '../util/units.js';

export const RETENTION_ORIGIN = 'retention';

export interface RetentionResult {
  feed: string;
  deleted: number;
}

export async function applyRetention(store: Store, feed: PlannedFeed, log: Logger, now = Date.now()): Promise<RetentionResult> {
  const keepLatest = feed.retention?.keepLatest;
  const maxAgeMs = feed.retention?.maxAge ? parseDuration(feed.retention.maxAge) : undefined;
  if (!keepLatest && !maxAgeMs) return { feed: feed.name, deleted: 0 };
  const byRepository = new Map<string, Array<{ tag: string; updatedAt: string }>>();
  for (const record of await store.tagRecords({ feed: feed.name })) {
    const list = byRepository.get(record.repository) ?? [];
    list.push({ tag: record.tag, updatedAt: record.updatedAt });
    byRepository.set(record.repository, list);
  }
  let deleted = 0;
  for (const [repository, tags] of byRepository) {
    tags.sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0));
    const doomed = tags.filter((t, index) => (keepLatest !== undefined && index >= keepLatest) || (maxAgeMs !== undefined && now - Date.parse(t.updatedAt) > maxAgeMs));
    for (const t of doomed) {
      if (await store.tagDelete(repository, t.tag, { origin: RETENTION_ORIGIN })) deleted++;
    }
  }
  if (deleted > 0) log.info({ feed: feed.name, deleted }, 'retention removed tags');
  return { feed: feed.name, deleted };
}
