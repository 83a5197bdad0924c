/**
 * Sync tokens: generation, hashing, and constant-time checks against `tokenSha256` values.
 *
 * A token is `ferry_` + 43 base64url characters (256 random bits). The prefix lets secret
 * scanners find leaked tokens; only the sha256 (hex of the whole token string) is ever in Git.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_PREFIX = 'ferry_';
const TOKEN_PATTERN = /^ferry_[A-Za-z0-9_-]{43}$/;

export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function isWellFormedToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

/** Lowercase hex sha256 of the token string, the value for `incoming[].tokenSha256`. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Constant-time comparison of a presented token against one expected hash. The presented token
 * is hashed first, so the comparison always runs over 32 bytes whatever its length.
 */
export function tokenMatches(presented: string, expectedSha256Hex: string): boolean {
  const expected = Buffer.from(expectedSha256Hex, 'hex');
  if (expected.length !== 32) return false;
  const actual = createHash('sha256').update(presented, 'utf8').digest();
  return timingSafeEqual(actual, expected);
}

/** A short, non-secret hint of which token was presented (for "401 with token x1y2…" messages). */
export function tokenHint(token: string): string {
  return hashToken(token).slice(0, 8);
}
