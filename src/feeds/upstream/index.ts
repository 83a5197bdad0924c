/**
 * Package upstream mirroring: a hub pulls selected packages from an external APT (debian.ts) or
 * YUM/DNF (rpm.ts) repository by URL, verifying every index and file against the repository's
 * own OpenPGP-signed indexes (verify.ts) before storing them through the feed's own store path.
 * The replication job (src/replicate/job-upstream-packages.ts) wires in HTTP, bandwidth, budget
 * and deletes. See docs/feeds/upstream.md.
 */
export { UpstreamErrorCode, upstreamError } from './errors.js';
export { createHttpFetcher, type UpstreamFetcher, type HttpFetcherOptions, type DownloadedFile } from './fetch.js';
export { readVerificationKeys, verifyClearsigned, verifyDetached, type VerificationKeys } from './verify.js';
export { mirrorDebian, fetchRelease, type DebianMirrorOptions } from './debian.js';
export { parseRelease, readStanzas } from './debian-index.js';
export { safeRelativePath } from './paths.js';
export type { MirrorDeps, MirrorOptions, MirrorResult } from './mirror.js';
export { mirrorRpm } from './rpm.js';
export { parseRepomd, parsePrimary } from './rpm-index.js';
