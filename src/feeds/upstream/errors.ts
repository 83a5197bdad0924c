/**
 * Error codes of package upstream mirroring (one table; tests assert on these codes). Each says
 * what the loop does next: a bad signature or a refused checksum type needs a human (`fix`); an
 * index or file that does not match its signed hash is retried later (`backoff`), since a mirror
 * caught in the middle of an update shows exactly that and heals by itself.
 */
import { FerryError, NextAction } from '../../errors/index.js';

export const UpstreamErrorCode = {
  /** The signature over Release/InRelease/repomd.xml does not verify with `signedBy`. */
  signatureInvalid: 'UPSTREAM_SIGNATURE_INVALID',
  /** `signedBy` holds no usable OpenPGP public key. */
  keyInvalid: 'UPSTREAM_KEY_INVALID',
  /** A signed index is missing (no InRelease/Release, no repomd.xml.asc) and verification is on. */
  unsigned: 'UPSTREAM_UNSIGNED',
  /** An index (Packages, primary.xml) differs in size or hash from what the signed index says. */
  indexMismatch: 'UPSTREAM_INDEX_MISMATCH',
  /** A package file differs in size or hash from its index entry. */
  fileMismatch: 'UPSTREAM_FILE_MISMATCH',
  /** An index is malformed, expired (`Valid-Until`) or names an unsafe path. */
  indexInvalid: 'UPSTREAM_INDEX_INVALID',
  /** A signed index is older than one this replication already took (a replayed index). */
  rollback: 'UPSTREAM_INDEX_ROLLBACK',
  /** The signed index lists no usable file for a requested dist/component/arch. */
  indexMissing: 'UPSTREAM_INDEX_MISSING',
  /** A document or file is larger than its cap. */
  tooLarge: 'UPSTREAM_TOO_LARGE',
  /** Only a checksum type ferry refuses (md5) is offered. */
  weakChecksum: 'UPSTREAM_WEAK_CHECKSUM',
  /** The upstream's settings cannot work (e.g. a debian upstream without distributions). */
  config: 'UPSTREAM_CONFIG',
} as const;
export type UpstreamErrorCode = (typeof UpstreamErrorCode)[keyof typeof UpstreamErrorCode];

const nextFor: Record<UpstreamErrorCode, NextAction> = {
  UPSTREAM_SIGNATURE_INVALID: NextAction.fix,
  UPSTREAM_KEY_INVALID: NextAction.fix,
  UPSTREAM_UNSIGNED: NextAction.fix,
  UPSTREAM_INDEX_MISMATCH: NextAction.backoff,
  UPSTREAM_FILE_MISMATCH: NextAction.backoff,
  UPSTREAM_INDEX_INVALID: NextAction.fix,
  UPSTREAM_INDEX_MISSING: NextAction.fix,
  UPSTREAM_INDEX_ROLLBACK: NextAction.backoff,
  UPSTREAM_TOO_LARGE: NextAction.fix,
  UPSTREAM_WEAK_CHECKSUM: NextAction.fix,
  UPSTREAM_CONFIG: NextAction.fix,
};

export function upstreamError(code: UpstreamErrorCode, message: string, data: Record<string, unknown> = {}, cause?: unknown): FerryError {
  return new FerryError(code, message, { data, next: nextFor[code], ...(cause === undefined ? {} : { cause }) });
}
