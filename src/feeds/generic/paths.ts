/**
 * File paths of a generic feed and how they map to OCI repositories.
 *
 * A path is a list of segments under `/feeds/<feed>/files/`. Rules (FEED_INVALID_PATH otherwise):
 * Unicode NFC; no empty, `.` or `..` segment (so no absolute path and no escape); no NUL, control
 * character, backslash or `/` inside a segment (as `%2F` could smuggle); a segment at most 255
 * UTF-8 bytes, the path at most 1024 bytes and 32 segments.
 *
 * Repository: `<feed>/` + every segment through `toRepositoryComponent` (names.ts: strict
 * lower-case names are kept, anything else becomes `<slug>__<16 hex of sha256>`), joined by `/`.
 * If that exceeds the 255-character repository limit the repository is
 * `<feed>/x__long/<64 hex of sha256(path)>` (no encoded segment can be `x__long`). The exact
 * path is kept in the config blob and in `vnd.ferry.package.name`.
 */
import { createHash } from 'node:crypto';
import { feedError, FeedErrorCode, toRepositoryComponent } from '../artifact/index.js';

export const MAX_SEGMENT_BYTES = 255;
export const MAX_PATH_BYTES = 1024;
export const MAX_SEGMENTS = 32;
const MAX_REPOSITORY = 255;
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f\\/]/;

function invalid(reason: string): Error {
  return feedError(FeedErrorCode.invalidPath, `invalid file path: ${reason}`, { reason });
}

/** Validates and normalises decoded path segments; returns the canonical `a/b/c` form. */
export function normalisePath(segments: readonly string[]): string {
  if (segments.length === 0) throw invalid('empty path');
  if (segments.length > MAX_SEGMENTS) throw invalid('too many segments');
  const out: string[] = [];
  for (const raw of segments) {
    const segment = raw.normalize('NFC');
    if (segment === '') throw invalid('empty segment');
    if (segment === '.' || segment === '..') throw invalid('dot segment');
    if (FORBIDDEN.test(segment)) throw invalid('forbidden character');
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) throw invalid('segment too long');
    out.push(segment);
  }
  const path = out.join('/');
  if (Buffer.byteLength(path, 'utf8') > MAX_PATH_BYTES) throw invalid('path too long');
  return path;
}

/** The repository holding every version of `path` (see the module comment). */
export function fileRepository(feed: string, path: string): string {
  const encoded = `${feed}/${path.split('/').map(toRepositoryComponent).join('/')}`;
  if (encoded.length <= MAX_REPOSITORY) return encoded;
  return `${feed}/x__long/${createHash('sha256').update(path, 'utf8').digest('hex')}`;
}

/** Tag of version `n` of a file: `v<n>`. */
export function versionTag(version: number): string {
  return `v${version}`;
}

/** The version number of a `v<n>` tag, undefined for other tags. */
export function tagVersion(tag: string): number | undefined {
  const match = /^v([1-9]\d{0,14})$/.exec(tag);
  return match ? Number(match[1]) : undefined;
}
