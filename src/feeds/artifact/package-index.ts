/**
 * A per-feed, in-memory index of the package versions of one artifact type, kept current from
 * the store's change log (`store.changes(feed, since)`), so a view never rebuilds from scratch
 * per request: a refresh with nothing new costs one change-log query, and a new version costs
 * one manifest and one config read.
 *
 * Contract:
 * - `refresh()` is safe to call on every request; concurrent calls share one run.
 * - The first refresh loads the current state from `tagRecords` (not by replaying history), then
 *   follows the log from the sequence read before that load (replaying a change twice is
 *   harmless: every operation is idempotent).
 * - Listeners get `add` (also when a tag moves: `remove` of the old record first) and `remove`
 *   events in log order, so renderers can update their caches incrementally.
 * - `generation` increases whenever the set of records changed.
 * - With a snapshot file, a cold start takes already-known versions from the snapshot (keyed by
 *   manifest digest, so never stale) and reads only the others from the store.
 */
import type { Change, Store } from '../../store/store.js';
import type { Logger } from '../../log/index.js';
import { readPackage, type PackageRecord } from './package-store.js';
import { readSnapshot, snapshotKey, SnapshotWriter } from './index-snapshot.js';

export type IndexEvent<M> = { type: 'add'; record: PackageRecord<M> } | { type: 'remove'; record: PackageRecord<M> };
export type IndexListener<M> = (event: IndexEvent<M>) => void;

const PAGE = 1000;
const LOAD_CONCURRENCY = 16;

export class PackageIndex<M> {
  private readonly records = new Map<string, PackageRecord<M>>();
  private readonly listeners: IndexListener<M>[] = [];
  private cursor = -1;
  private running: Promise<boolean> | undefined;
  generation = 0;

  private readonly snapshot: SnapshotWriter<M> | undefined;

  /**
   * `options.snapshotFile`: where to keep an on-disk snapshot (index-snapshot.ts) that makes a
   * restart cheap; without it every cold start reads each version from the store.
   */
  constructor(
    private readonly store: Store,
    readonly feed: string,
    private readonly artifactType: string,
    private readonly log?: Logger,
    private readonly options: { snapshotFile?: string } = {},
  ) {
    const file = options.snapshotFile;
    this.snapshot = file ? new SnapshotWriter<M>(file, artifactType, () => this.records.values(), log) : undefined;
  }

  /** Registers a listener; it is first called with `add` for every record already indexed. */
  subscribe(listener: IndexListener<M>): void {
    for (const record of this.records.values()) listener({ type: 'add', record });
    this.listeners.push(listener);
  }

  values(): IterableIterator<PackageRecord<M>> {
    return this.records.values();
  }

  get size(): number {
    return this.records.size;
  }

  get(repository: string, tag: string): PackageRecord<M> | undefined {
    return this.records.get(`${repository}:${tag}`);
  }

  /** Brings the index up to date with the store; true when anything changed. */
  refresh(): Promise<boolean> {
    if (!this.running) {
      this.running = this.run().finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  private async run(): Promise<boolean> {
    const before = this.generation;
    if (this.cursor < 0) await this.load();
    for (;;) {
      const page = await this.store.changes(this.feed, this.cursor, PAGE);
      if (page.last < this.cursor) {
        // The log went backwards: the feed was pruned and re-created, or the store restored.
        this.log?.warn({ feed: this.feed, cursor: this.cursor, last: page.last }, 'change log went backwards; reloading package index');
        for (const key of [...this.records.keys()]) this.remove(key);
        await this.load();
        continue;
      }
      for (const change of page.changes) {
        await this.apply(change);
        this.cursor = change.seq;
      }
      if (page.changes.length < PAGE) {
        this.cursor = Math.max(this.cursor, page.last);
        break;
      }
    }
    const changed = this.generation !== before;
    if (changed) this.snapshot?.schedule();
    return changed;
  }

  /** Writes the snapshot now (when one is configured); for shutdown and tests. */
  async flushSnapshot(): Promise<void> {
    await this.snapshot?.flush();
  }

  private async load(): Promise<void> {
    const head = await this.store.changes(this.feed, 0, 1);
    const start = head.last;
    const cached = this.options.snapshotFile ? await readSnapshot<M>(this.options.snapshotFile, this.artifactType, this.log) : new Map<string, PackageRecord<M>>();
    const tags = await this.store.tagRecords({ feed: this.feed });
    // Versions known to the snapshot are taken as they are; the others are read from the store,
    // LOAD_CONCURRENCY at a time (a cold start of a large feed is I/O-latency bound).
    const missing = [];
    for (const tag of tags) {
      const record = cached.get(snapshotKey(tag.repository, tag.digest));
      if (record) this.set(tag.repository, tag.tag, record);
      else missing.push(tag);
    }
    for (let i = 0; i < missing.length; i += LOAD_CONCURRENCY) {
      const batch = missing.slice(i, i + LOAD_CONCURRENCY);
      const records = await Promise.all(batch.map((tag) => this.read(tag.repository, tag.digest)));
      batch.forEach((tag, j) => this.set(tag.repository, tag.tag, records[j]));
    }
    this.cursor = start;
  }

  private async apply(change: Change): Promise<void> {
    if (change.op === 'tag' && change.tag) await this.setTag(change.repository, change.tag, change.digest);
    else if (change.op === 'untag' && change.tag) this.remove(`${change.repository}:${change.tag}`);
    else if (change.op === 'delete') {
      for (const [key, record] of this.records) {
        if (record.repository === change.repository && record.manifestDigest === change.digest) this.remove(key);
      }
    }
  }

  private async read(repository: string, digest: string): Promise<PackageRecord<M> | undefined> {
    try {
      return await readPackage<M>(this.store, repository, digest, this.artifactType);
    } catch (err) {
      // A manifest deleted after its tag change was logged: the delete follows in the log.
      this.log?.debug({ repository, digest, err }, 'package index skipped an unreadable manifest');
      return undefined;
    }
  }

  private async setTag(repository: string, tag: string, digest: string): Promise<void> {
    if (this.records.get(`${repository}:${tag}`)?.manifestDigest === digest) return;
    this.set(repository, tag, await this.read(repository, digest));
  }

  private set(repository: string, tag: string, record: PackageRecord<M> | undefined): void {
    const key = `${repository}:${tag}`;
    const current = this.records.get(key);
    if (current && record && current.manifestDigest === record.manifestDigest) return;
    if (current) this.remove(key);
    if (!record) return;
    const full = { ...record, tag };
    this.records.set(key, full);
    this.generation++;
    for (const listener of this.listeners) listener({ type: 'add', record: full });
  }

  private remove(key: string): void {
    const record = this.records.get(key);
    if (!record) return;
    this.records.delete(key);
    this.generation++;
    for (const listener of this.listeners) listener({ type: 'remove', record });
  }
}
