/**
 * The Store: where a site keeps its content. Two backends implement it — `fs` (an OCI image
 * layout on local disk plus SQLite metadata, the embedded default) and `registry` (an existing
 * OCI registry as the storage engine, ferry's own SQLite for metadata and the change log).
 *
 * Repositories are named `<feed>/<repository>`; the first path segment is always the feed.
 * Every mutation of a feed appends to that feed's change log with a monotonic sequence number,
 * in the same transaction as the metadata change, so a reader of `changes(feed, since)` never
 * misses or sees a change for content that is not fully stored.
 *
 * THIS FILE IS A CONTRACT between src/store, src/server, src/replicate and src/feeds.
 */
import type { ContentTarget, Descriptor } from '../oci/content.js';

export const ChangeOp = {
  /** A manifest was stored (by digest). */
  put: 'put',
  /** A tag now points at `digest` (created or moved). */
  tag: 'tag',
  /** A tag was removed. */
  untag: 'untag',
  /** A manifest was deleted (with all its tags). */
  delete: 'delete',
} as const;
export type ChangeOp = (typeof ChangeOp)[keyof typeof ChangeOp];

export interface Change {
  /** Monotonic per feed, starting at 1; gaps are allowed, reordering is not. */
  seq: number;
  op: ChangeOp;
  /** Full repository name, `<feed>/<repository>`. */
  repository: string;
  tag?: string;
  digest: string;
  mediaType?: string;
  /** ISO 8601 time of the change at the site that recorded it. */
  at: string;
  /** Who made the change: `local` (a client pushed here) or `replication:<name>`. */
  origin: string;
}

export interface ChangePage {
  changes: Change[];
  /** Highest sequence in the feed's log (the cursor to store when `changes` is empty). */
  last: number;
}

export interface FeedRecord {
  name: string;
  /** Feed type from the topology (oci, generic, debian, rpm, chocolatey). */
  type: string;
  createdAt: string;
  /** Retired feeds are not served; their data is kept until pruned. */
  retired: boolean;
}

export interface TagRecord {
  repository: string;
  tag: string;
  digest: string;
  mediaType: string;
  updatedAt: string;
  origin: string;
}

/** Who is writing: recorded in the change log so `deletes: propagate` removes only replicated content. */
export interface WriteContext {
  origin?: string;
}

export interface GcResult {
  blobsDeleted: number;
  bytesFreed: number;
}

export interface Store extends ContentTarget {
  // feeds
  feedEnsure(name: string, type: string): Promise<FeedRecord>;
  feedGet(name: string): Promise<FeedRecord | undefined>;
  feedList(): Promise<FeedRecord[]>;
  /** Stops serving a feed; content stays until `feedPrune`. */
  feedRetire(name: string): Promise<void>;
  /** Deletes a retired feed's metadata; its blobs go at the next GC. */
  feedPrune(name: string): Promise<void>;

  // repositories and tags
  repositoryList(feed?: string): Promise<string[]>;
  tagGet(repository: string, tag: string): Promise<TagRecord | undefined>;
  /** All tags of a feed (or of one repository), for listing and replication diffs. */
  tagRecords(options: { feed?: string; repository?: string }): Promise<TagRecord[]>;
  tagDelete(repository: string, tag: string, context?: WriteContext): Promise<boolean>;
  /** Deletes a manifest and every tag pointing at it. */
  manifestDelete(repository: string, digest: string, context?: WriteContext): Promise<boolean>;
  /** Like `manifestPut` of ContentWriter, recording `context.origin` in the change log. */
  manifestPutWithContext(repository: string, reference: string, mediaType: string, body: Buffer, context: WriteContext): Promise<Descriptor>;

  // change log
  changes(feed: string, since: number, limit?: number): Promise<ChangePage>;

  // maintenance
  /** Mark-and-sweep of unreferenced blobs; never deletes a blob an in-flight write will reference. */
  gc(): Promise<GcResult>;
  close(): Promise<void>;
}
