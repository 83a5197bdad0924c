/**
 * Name, reference and digest grammar of the distribution spec
 * (https://github.com/opencontainers/distribution-spec/blob/v1.1.0/spec.md#pulling-manifests).
 * A ferry repository is `<feed>/<repository>`: at least two components, the first being the feed.
 */
import { isDigest as isSha256Digest, isValidRepository, isValidTag } from '../../oci/index.js';
import { serverError, ServerErrorCode } from '../errors.js';

/** Feed names are DNS labels (DESIGN.md section 2). */
const FEED = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** Repository names are at most this long (the OCI engine's grammar checks it too). */
const MAX_NAME_LENGTH = 255;

export interface RepositoryName {
  /** Full name, `<feed>/<repository>`. */
  name: string;
  feed: string;
}

/** Validates a repository name; throws NAME_INVALID. */
export function parseRepositoryName(name: string): RepositoryName {
  if (!isValidRepository(name)) {
    throw serverError(ServerErrorCode.nameInvalid, 'invalid repository name', { name: name.slice(0, MAX_NAME_LENGTH) });
  }
  const slash = name.indexOf('/');
  const feed = slash < 0 ? '' : name.slice(0, slash);
  if (!FEED.test(feed)) {
    throw serverError(ServerErrorCode.nameInvalid, 'repository names are <feed>/<repository>, the feed being a DNS label', { name });
  }
  return { name, feed };
}

export function isDigest(reference: string): boolean {
  return reference.includes(':');
}

export function isTag(reference: string): boolean {
  return isValidTag(reference);
}

/**
 * Checks a digest: syntactically valid and sha256 (the only algorithm ferry stores).
 * Throws DIGEST_INVALID otherwise.
 */
export function checkDigest(digest: string): string {
  if (!isSha256Digest(digest)) {
    throw serverError(ServerErrorCode.digestInvalid, 'invalid or unsupported digest (sha256 only)', { digest: digest.slice(0, 200) });
  }
  return digest;
}

/** A manifest reference: a tag or a sha256 digest. `onInvalid` is the error code to throw. */
export function checkReference(reference: string, onInvalid: string): string {
  if (isDigest(reference)) return checkDigest(reference);
  if (!isTag(reference)) throw serverError(onInvalid, 'invalid tag', { reference: reference.slice(0, 200) });
  return reference;
}
