/**
 * One PackageIndex (and whatever a view derives from it) per feed, created on first use and kept
 * for the life of the view, so every request of a feed shares the same incremental state.
 */
import { join } from 'node:path';
import type { Store } from '../../store/store.js';
import type { Logger } from '../../log/index.js';
import { PackageIndex } from './package-index.js';

export class IndexCache<M, V = PackageIndex<M>> {
  private readonly byFeed = new Map<string, V>();

  constructor(
    private readonly store: Store,
    private readonly artifactType: string,
    private readonly derive: (index: PackageIndex<M>) => V,
    private readonly log?: Logger,
    /** Directory for per-feed index snapshots (`<dir>/<feed>.jsonl`); none when omitted. */
    private readonly snapshotDir?: string,
  ) {}

  /** The view state of `feed` (created empty; call the index's `refresh()` before reading). */
  get(feed: string): V {
    let value = this.byFeed.get(feed);
    if (!value) {
      const snapshotFile = this.snapshotDir ? join(this.snapshotDir, `${feed}.jsonl`) : undefined;
      value = this.derive(new PackageIndex<M>(this.store, feed, this.artifactType, this.log, { snapshotFile }));
      this.byFeed.set(feed, value);
    }
    return value;
  }
}
