/**
 * Paths named by an upstream's indexes (`Filename:` of a Packages stanza, `location href` of
 * primary.xml) are untrusted input even when the index is signed: they must be relative, stay
 * under the repository root and use a conservative character set, or they are refused.
 */
import { upstreamError, UpstreamErrorCode } from './errors.js';

const SAFE = /^[A-Za-z0-9._+~%@=,:^-][A-Za-z0-9._+~%@=,:^/-]{0,1023}$/;

/** Returns `path` when it is a safe relative path; throws UPSTREAM_INDEX_INVALID otherwise. */
export function safeRelativePath(path: string): string {
  const segments = path.split('/');
  if (!SAFE.test(path) || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw upstreamError(UpstreamErrorCode.indexInvalid, 'the upstream index names an unsafe path', { path: path.slice(0, 200) });
  }
  return path;
}
