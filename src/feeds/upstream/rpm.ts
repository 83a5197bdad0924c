/**
 * Mirroring selected packages of an external YUM/DNF repository into an rpm feed. Trust flows
 * from `signedBy` only:
 *
 *   repomd.xml ──detached signature repomd.xml.asc, verified with signedBy──▶ primary's checksum+size
 *   primary.xml{.gz,.xz,.zst} ──checksum+size against repomd──▶ packages, streamed (NEVRA, checksum, location)
 *   package file ──streamed to a temp file, checksum+size against primary──▶ storeRpm (the upload path)
 *
 * Checksums: sha256 or sha512; sha1 only where the repository offers nothing stronger (a note
 * says so each run); md5 is refused (UPSTREAM_WEAK_CHECKSUM). Nothing is stored from a file that
 * fails its check; held versions are skipped before any package request.
 */
import { feedError, FeedErrorCode, packageRepository, toTag } from '../artifact/index.js';
import { rpmVersionKey, storeRpm } from '../rpm/index.js';
import { upstreamError, UpstreamErrorCode } from './errors.js';
import { compressionOfPath, openIndex } from './compressed.js';
import { parseRepomd, streamPrimary, type PrimaryPackage, type RepoChecksum, type RepomdEntry } from './rpm-index.js';
import { safeRelativePath } from './paths.js';
import { verifyDetached } from './verify.js';
import { Defaults, heldKeys, importWanted, isPackageRefusal, type MirrorDeps, type MirrorOptions, type MirrorResult } from './mirror.js';

function expectation(checksum: RepoChecksum, size: number | undefined, mismatchCode: typeof UpstreamErrorCode.fileMismatch | typeof UpstreamErrorCode.indexMismatch) {
  return { ...(size !== undefined ? { size } : {}), hash: { algorithm: checksum.algorithm, hex: checksum.hex }, mismatchCode };
}

/** The verified repomd.xml's primary entry (signature checked with `signedBy`). */
async function fetchRepomd(deps: MirrorDeps, options: MirrorOptions): Promise<RepomdEntry> {
  const repomd = (await deps.fetcher.getSmall('repodata/repomd.xml', { maxBytes: Defaults.maxSmallBytes })) as Buffer;
  if (options.keys) {
    const signature = await deps.fetcher.getSmall('repodata/repomd.xml.asc', { maxBytes: 1024 * 1024, optional: true });
    if (!signature) throw upstreamError(UpstreamErrorCode.unsigned, 'repodata/repomd.xml is not signed (no repomd.xml.asc)', {});
    await verifyDetached(repomd, signature, options.keys, 'repodata/repomd.xml');
  }
  const entry = parseRepomd(repomd.toString('utf8'));
  if (options.keys && entry.timestamp !== undefined) options.checkIndexTime?.('repodata/repomd.xml', entry.timestamp * 1000);
  if (entry.checksum.weak) deps.note('repomd.xml gives only a sha1 checksum for primary; accepted because nothing stronger is offered');
  return entry;
}

/**
 * Reads the verified primary index as a stream: fills `listed` with every version and returns
 * the ones to download (selected, not held).
 */
async function scanPrimary(deps: MirrorDeps, options: MirrorOptions, held: Set<string>, listed: Set<string>): Promise<PrimaryPackage[]> {
  const entry = await fetchRepomd(deps, options);
  const href = safeRelativePath(entry.href);
  const file = await deps.fetcher.download(href, { tmpDir: deps.tmpDir, maxBytes: options.maxIndexBytes ?? Defaults.maxIndexBytes, expect: expectation(entry.checksum, entry.size, UpstreamErrorCode.indexMismatch) });
  const archs = options.architectures?.length ? new Set(options.architectures) : undefined;
  const wanted: PrimaryPackage[] = [];
  let invalid = 0;
  let weak = 0;
  try {
    for await (const p of streamPrimary(openIndex(file.path, compressionOfPath(href)), { maxBytes: options.maxInflatedIndexBytes ?? Defaults.maxInflatedIndexBytes })) {
      if (!p) { invalid++; continue; }
      const key = `${packageRepository(options.feed, p.name)}:${toTag(rpmVersionKey({ epoch: p.epoch, version: p.ver, release: p.rel, arch: p.arch }))}`;
      listed.add(key);
      if (archs ? !archs.has(p.arch) : p.arch === 'src') continue;
      if (held.has(key) || !options.select(p.name, `${p.ver}-${p.rel}`)) continue;
      held.add(key);
      if (p.checksum.weak) weak++;
      wanted.push(p);
    }
  } finally {
    await file.dispose();
  }
  if (invalid > 0) deps.note(`primary.xml: ${invalid} entries with missing fields were ignored`);
  if (weak > 0) deps.note(`${weak} packages carry only sha1 checksums; accepted because nothing stronger is offered`);
  return wanted;
}

async function importOne(deps: MirrorDeps, options: MirrorOptions, p: PrimaryPackage): Promise<boolean> {
  const file = await deps.fetcher.download(safeRelativePath(p.href), {
    tmpDir: deps.tmpDir, maxBytes: options.maxPackageBytes ?? Defaults.maxPackageBytes, expect: expectation(p.checksum, p.size, UpstreamErrorCode.fileMismatch),
  });
  try {
    await storeRpm({ store: deps.store }, options.feed, file, deps.origin, (meta) => {
      if (meta.name !== p.name || meta.arch !== p.arch || meta.epoch !== p.epoch || meta.version !== p.ver || meta.release !== p.rel) {
        throw feedError(FeedErrorCode.invalidPackage, 'the package headers disagree with its primary.xml entry', { name: p.name });
      }
    });
    return true;
  } catch (err) {
    if (!isPackageRefusal(err)) throw err;
    deps.note(`skipped ${p.href}: ${(err as { code: string }).code}`);
    return false;
  } finally {
    await file.dispose();
  }
}

/** Mirrors the selected packages of the repository (see the module comment). */
export async function mirrorRpm(deps: MirrorDeps, options: MirrorOptions): Promise<MirrorResult> {
  const held = await heldKeys(deps.store, options.feed);
  const result: MirrorResult = { listed: new Set(), imported: 0, bytes: 0, skipped: 0, complete: true };
  const wanted = await scanPrimary(deps, options, held, result.listed);
  await importWanted(deps, options, wanted, result, (p) => importOne(deps, options, p), (p) => ({ what: `${p.name}-${p.ver}-${p.rel}.${p.arch} into ${options.feed}`, size: p.size ?? 0 }));
  return result;
}
