/**
 * Name, reference and digest grammar of the distribution spec
 * (https://github.com/opencontainers/distribution-spec/blob/v1.1.0/spec.md#pulling-manifests).
 * A ferry repository is `<feed>/<repository>`: at least two components, the first being the feed.
 */
import { serverError, ServerErrorCode } from '../errors.js';

const NAME = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const DIGEST = /^[a-z0-9]+([+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const SHA256 = /^sha256:[a-f0-9]{64}$/;
/** Feed names are DNS labels (DESIGN.md section 2). */
const FEED = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const MAX_NAME_LENGTH = 255;

export interface RepositoryName {
  /** Full name, `<feed>/<repository>`. */
  name: string;
  feed: string;
}

/** Validates a repository name; throws NAME_INVALID. */
export function parseRepositoryName(name: string): RepositoryName {
  if (name.length > MAX_NAME_LENGTH || !NAME.test(name)) {
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
  return TAG.test(reference);
}

/**
 * Checks a digest: syntactically valid and sha256 (the only algorithm ferry stores).
 * Throws DIGEST_INVALID otherwise.
 */
export function checkDigest(digest: string): string {
  if (!DIGEST.test(digest) || !SHA256.test(digest)) {
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
