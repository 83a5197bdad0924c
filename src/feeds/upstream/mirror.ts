/**
 * What the debian and rpm mirrors share: their dependencies and options, the result they report
 * (whose `listed` set drives `deletes: propagate`), the held-version lookup that makes a run
 * idempotent, and bounded-concurrency downloads.
 */
import type { Store } from '../../store/store.js';
import type { UpstreamFetcher } from './fetch.js';
import type { VerificationKeys } from './verify.js';

export interface MirrorDeps {
  store: Store;
  fetcher: UpstreamFetcher;
  /** Directory for temp files (a private subdirectory per download, removed afterwards). */
  tmpDir: string;
  /** Origin recorded in the store's change log (`replication:<name>`). */
  origin: string;
  note(line: string): void;
  count(items: number, bytes: number): void;
}

export interface MirrorOptions {
  /** The target feed on this site. */
  feed: string;
  /** Public keys of `signedBy`; undefined only with `insecureSkipVerify`. */
  keys: VerificationKeys | undefined;
  architectures?: readonly string[];
  /** Package name + version filter (the replication's `filter`). */
  select(name: string, version: string): boolean;
  /**
   * Called with the time of each verified signed index (Release `Date`, repomd primary
   * `timestamp`), keyed by index; throws UPSTREAM_INDEX_ROLLBACK when it is older than one seen
   * before (a replayed old index would hide updates). Not called without `keys`.
   */
  checkIndexTime?(key: string, time: number): void;
  /** Package downloads in flight at once (default 4). */
  concurrency?: number;
  /** Caps; defaults suit public distribution mirrors. */
  maxIndexBytes?: number;
  maxInflatedIndexBytes?: number;
  maxPackageBytes?: number;
}

export interface MirrorResult {
  /** `<repository>:<tag>` of every package version the upstream's indexes list (filtered or not). */
  listed: Set<string>;
  imported: number;
  bytes: number;
  /** Versions skipped because ferry cannot store them (invalid name/version, unparsable file). */
  skipped: number;
  /** False when the run stopped early (request budget): deletes must not be inferred from it. */
  complete: boolean;
}

export const Defaults = {
  maxIndexBytes: 512 * 1024 * 1024,
  maxInflatedIndexBytes: 2 * 1024 * 1024 * 1024,
  maxPackageBytes: 4 * 1024 * 1024 * 1024,
  maxSmallBytes: 16 * 1024 * 1024,
} as const;

/**
 * Imports the wanted packages of an index (at most `options.concurrency` at once, within the
 * fetcher's request budget), counting them into `result`. `importOne` answers false for a
 * package ferry cannot store (skipped); `describe` gives an imported one's size and the log
 * line's text after "imported ". Returns
 * false, with `result.complete` false and a note, when the budget ran out.
 */
export async function importWanted<T>(
  deps: MirrorDeps,
  options: MirrorOptions,
  wanted: readonly T[],
  result: MirrorResult,
  importOne: (item: T) => Promise<boolean>,
  describe: (item: T) => { what: string; size: number },
): Promise<boolean> {
  const all = await forEachLimited(wanted, options.concurrency ?? 4, () => deps.fetcher.canSpend(), async (item) => {
    if (!(await importOne(item))) {
      result.skipped++;
      return;
    }
    const { what, size } = describe(item);
    result.imported++;
    result.bytes += size;
    deps.count(1, size);
    deps.note(`imported ${what}`);
  });
  if (!all) {
    result.complete = false;
    deps.note(`request budget spent after ${deps.fetcher.requests} requests; the next run continues`);
  }
  return all;
}

/**
 * Runs `fn` over `items` with at most `limit` in flight (downloads overlap their latency; the
 * site's bandwidth cap still holds, it is shared). Before each item `spend()` is asked; when it
 * says no, nothing new starts. On the first failure nothing new starts either, the items in
 * flight finish, and that failure is thrown. Returns false when stopped by `spend`.
 */
export async function forEachLimited<T>(items: readonly T[], limit: number, spend: () => boolean, fn: (item: T) => Promise<void>): Promise<boolean> {
  let next = 0;
  let failed = false;
  let failure: unknown;
  let stopped = false;
  const worker = async (): Promise<void> => {
    while (!failed && !stopped && next < items.length) {
      if (!spend()) {
        stopped = true;
        return;
      }
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (err) {
        if (!failed) failure = err;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed) throw failure;
  return !stopped;
}

/** `<repository>:<tag>` keys of the tags a feed holds (one store query). */
export async function heldKeys(store: Store, feed: string): Promise<Set<string>> {
  return new Set((await store.tagRecords({ feed })).map((t) => `${t.repository}:${t.tag}`));
}

/** True for the feed-layer refusals of a single package (the file is not storable by ferry). */
export function isPackageRefusal(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('FEED_');
}
