/**
 * Name, tag and digest validation for the store (OCI distribution spec, "Pulling manifests":
 * `<name>` grammar, tag grammar; image-spec descriptor.md for digests). Every public store
 * method validates its inputs with these before touching disk or SQLite, so a name can never
 * escape the store's directory or reach SQL unchecked.
 */
import { isDigest, isValidRepository, isValidTag } from '../oci/index.js';
import { storeError, StoreErrorCode } from './errors.js';

// The `<name>`, tag and digest grammars are the OCI engine's (src/oci/reference.ts); only
// sha256 is stored (blobs live under `blobs/sha256/`).
export { isDigest };
/** Topology names are DNS labels (DESIGN.md section 2). */
const FEED_PATTERN = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const ORIGIN_PATTERN = /^(local|retention|replication:[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)$/;

export function assertDigest(digest: string): string {
  if (!isDigest(digest)) throw storeError(StoreErrorCode.digestInvalid, 'invalid digest (only sha256:<64 hex> is supported)', { digest: digest.slice(0, 80) });
  return digest;
}

/** The 64 hex characters of a validated sha256 digest (the blob's file name). */
export function digestHex(digest: string): string {
  return assertDigest(digest).slice('sha256:'.length);
}

export function assertTag(tag: string): string {
  if (!isValidTag(tag)) throw storeError(StoreErrorCode.tagInvalid, 'invalid tag', { tag: tag.slice(0, 140) });
  return tag;
}

export function assertFeedName(name: string): string {
  if (!FEED_PATTERN.test(name)) throw storeError(StoreErrorCode.feedInvalid, 'invalid feed name (must be a DNS label)', { feed: name.slice(0, 80) });
  return name;
}

/**
 * Validates a repository name and returns its feed (the first path segment). A repository
 * must have at least one segment after the feed: `<feed>/<repository>`.
 */
export function feedOfRepository(repository: string): string {
  if (!isValidRepository(repository)) {
    throw storeError(StoreErrorCode.nameInvalid, 'invalid repository name', { repository: repository.slice(0, 260) });
  }
  const slash = repository.indexOf('/');
  const feed = slash < 0 ? '' : repository.slice(0, slash);
  if (!FEED_PATTERN.test(feed)) {
    throw storeError(StoreErrorCode.nameInvalid, 'repository name must be <feed>/<repository> with a DNS-label feed', { repository });
  }
  return feed;
}

/** `local` unless given; otherwise `local` or `replication:<dns-label>`. */
export function normaliseOrigin(origin: string | undefined): string {
  const value = origin ?? 'local';
  if (!ORIGIN_PATTERN.test(value)) throw storeError(StoreErrorCode.originInvalid, 'invalid origin (local, retention or replication:<name>)', { origin: value.slice(0, 80) });
  return value;
}
