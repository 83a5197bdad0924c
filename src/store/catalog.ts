/**
 * The Store methods both backends answer from ferry's own SQLite alone: feeds, repository and
 * tag listings, referrers, the change log, and manifest resolution. Each backend spreads these
 * into its Store and adds what touches content (blobs, manifest bytes, deletes, GC).
 */
import type { Descriptor, TagPage } from '../oci/content.js';
import type { ChangePage, FeedRecord, Store, TagRecord } from './store.js';
import { storeError, StoreErrorCode } from './errors.js';
import { assertDigest, assertFeedName, assertTag, isDigest } from './names.js';
import type { Db } from './sqlite/database.js';
import { changesSince, feedEnsure, feedGet, feedList, feedPrune, feedRetire, requireActiveFeed } from './sqlite/feeds.js';
import * as manifests from './sqlite/manifests.js';

export type CatalogMethods = Pick<
  Store,
  'feedEnsure' | 'feedGet' | 'feedList' | 'feedRetire' | 'feedPrune' | 'repositoryList' | 'tagGet' | 'tagRecords' | 'changes' | 'tagList' | 'referrers' | 'manifestHead'
>;

/** Validates a tag-or-digest reference. */
export function assertReference(reference: string): string {
  return isDigest(reference) ? reference : assertTag(reference);
}

/** Resolves a reference or throws OCI_MANIFEST_UNKNOWN. */
export function requireManifest(db: Db, repository: string, reference: string): manifests.ManifestRow {
  const row = manifests.resolveManifest(db, repository, assertReference(reference));
  if (!row) throw storeError(StoreErrorCode.manifestUnknown, 'manifest unknown', { repository, reference });
  return row;
}

export function catalogMethods(db: Db): CatalogMethods {
  return {
    async feedEnsure(name: string, type: string): Promise<FeedRecord> {
      return feedEnsure(db, name, type);
    },
    async feedGet(name: string): Promise<FeedRecord | undefined> {
      return feedGet(db, name);
    },
    async feedList(): Promise<FeedRecord[]> {
      return feedList(db);
    },
    async feedRetire(name: string): Promise<void> {
      feedRetire(db, assertFeedName(name));
    },
    async feedPrune(name: string): Promise<void> {
      feedPrune(db, assertFeedName(name));
    },
    async repositoryList(feed?: string): Promise<string[]> {
      return manifests.repositoryList(db, feed === undefined ? undefined : assertFeedName(feed));
    },
    async tagGet(repository: string, tag: string): Promise<TagRecord | undefined> {
      requireActiveFeed(db, repository);
      return manifests.tagGet(db, repository, assertTag(tag));
    },
    async tagRecords(options: { feed?: string; repository?: string }): Promise<TagRecord[]> {
      if (options.repository !== undefined) requireActiveFeed(db, options.repository);
      if (options.feed !== undefined) assertFeedName(options.feed);
      return manifests.tagRecords(db, options);
    },
    async changes(feed: string, since: number, limit?: number): Promise<ChangePage> {
      return changesSince(db, assertFeedName(feed), since, limit);
    },
    async tagList(repository: string, options: { last?: string; n?: number } = {}): Promise<TagPage> {
      requireActiveFeed(db, repository);
      if (!manifests.repositoryExists(db, repository)) throw storeError(StoreErrorCode.nameUnknown, 'repository unknown', { repository });
      return manifests.tagPage(db, repository, options.last, options.n);
    },
    async referrers(repository: string, digest: string, options: { artifactType?: string } = {}): Promise<Descriptor[]> {
      requireActiveFeed(db, repository);
      return manifests.referrers(db, repository, assertDigest(digest), options.artifactType);
    },
    async manifestHead(repository: string, reference: string): Promise<Descriptor | undefined> {
      requireActiveFeed(db, repository);
      const row = manifests.resolveManifest(db, repository, assertReference(reference));
      return row ? { mediaType: row.mediaType, digest: row.digest, size: row.size } : undefined;
    },
  };
}
