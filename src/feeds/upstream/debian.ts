/**
 * Mirroring selected packages of an external APT repository into a debian feed (Debian wiki
 * "DebianRepository/Format"). Trust flows from `signedBy` only:
 *
 *   InRelease (or Release + Release.gpg) ──verified with signedBy──▶ SHA256 list
 *   Packages{.gz,.xz,} ──size+sha256 against that list──▶ stanzas (Filename, Size, SHA256)
 *   pool file ──streamed to a temp file, size+sha256 against its stanza──▶ storeDeb (the upload path)
 *
 * Nothing is stored from an index or file that fails its check. Already-held versions are skipped
 * before any pool request, so a run with nothing new downloads no package file. A dist's
 * packages land in the target feed's dist of the same name; all components go to `main`.
 */
import { isValidPackageName, isValidVersion, controlField, DIST_PATTERN, debianTagSource, parseDeb, storeDeb, type ControlFields } from '../debian/index.js';
import { packageRepository, toTag } from '../artifact/index.js';
import * as openpgp from 'openpgp';
import { upstreamError, UpstreamErrorCode } from './errors.js';
import { packagesCandidates, parseRelease, readStanzas, type ReleaseIndex } from './debian-index.js';
import { compressionOfPath, openIndex, type IndexCompression } from './compressed.js';
import { safeRelativePath } from './paths.js';
import { verifyClearsigned, verifyDetached } from './verify.js';
import { Defaults, heldKeys, importWanted, isPackageRefusal, type MirrorDeps, type MirrorOptions, type MirrorResult } from './mirror.js';

export interface DebianMirrorOptions extends MirrorOptions {
  distributions: readonly string[];
  components?: readonly string[];
}

interface Wanted {
  name: string;
  version: string;
  arch: string;
  filename: string;
  size: number;
  sha256: string;
}

/** The verified Release of `dist` (InRelease first, then Release + Release.gpg). */
export async function fetchRelease(deps: MirrorDeps, dist: string, keys: MirrorOptions['keys']): Promise<ReleaseIndex> {
  const { fetcher } = deps;
  const base = `dists/${dist}`;
  const inRelease = await fetcher.getSmall(`${base}/InRelease`, { maxBytes: Defaults.maxSmallBytes, optional: true });
  if (inRelease) {
    const text = inRelease.toString('utf8');
    if (keys) return parseRelease(await verifyClearsigned(text, keys, `${base}/InRelease`));
    const message = await openpgp.readCleartextMessage({ cleartextMessage: text }).catch((err: unknown) => {
      throw upstreamError(UpstreamErrorCode.indexInvalid, `${base}/InRelease is not a clearsigned document`, { dist }, err);
    });
    return parseRelease(message.getText());
  }
  const release = await fetcher.getSmall(`${base}/Release`, { maxBytes: Defaults.maxSmallBytes, optional: true });
  if (!release) throw upstreamError(UpstreamErrorCode.indexMissing, `the upstream has neither ${base}/InRelease nor ${base}/Release`, { dist });
  if (keys) {
    const signature = await fetcher.getSmall(`${base}/Release.gpg`, { maxBytes: 1024 * 1024, optional: true });
    if (!signature) throw upstreamError(UpstreamErrorCode.unsigned, `${base}/Release is not signed (no InRelease, no Release.gpg)`, { dist });
    await verifyDetached(release, signature, keys, `${base}/Release`);
  }
  return parseRelease(release.toString('utf8'));
}

function stanzaFacts(fields: ControlFields): Wanted | undefined {
  const name = controlField(fields, 'Package');
  const version = controlField(fields, 'Version');
  const arch = controlField(fields, 'Architecture');
  const filename = controlField(fields, 'Filename');
  const size = controlField(fields, 'Size');
  const sha256 = controlField(fields, 'SHA256');
  if (!name || !version || !arch || !filename || !size || !sha256) return undefined;
  if (!isValidPackageName(name) || !isValidVersion(version) || !/^[a-z0-9][a-z0-9-]{0,63}$/.test(arch)) return undefined;
  if (!/^\d{1,15}$/.test(size) || !/^[0-9a-f]{64}$/i.test(sha256)) return undefined;
  return { name, version, arch, filename: safeRelativePath(filename), size: Number(size), sha256: sha256.toLowerCase() };
}

/** Reads every Packages index of one dist; fills `listed` and returns what to download. */
async function scanDist(deps: MirrorDeps, options: DebianMirrorOptions, dist: string, held: Set<string>, listed: Set<string>): Promise<{ wanted: Wanted[]; invalid: number }> {
  const release = await fetchRelease(deps, dist, options.keys);
  const date = Date.parse((controlField(release.fields, 'Date') ?? '').replace(/UTC$/, 'GMT'));
  if (options.keys && Number.isFinite(date)) options.checkIndexTime?.(`dists/${dist}`, date);
  const components = options.components?.length ? options.components : release.components;
  const architectures = options.architectures?.length ? options.architectures : release.architectures;
  // Asked for explicitly, a missing index is an error; taken from the Release's own lists (which
  // may name `all` without a binary-all index), it is simply absent.
  const explicit = Boolean(options.components?.length && options.architectures?.length);
  const wanted = new Map<string, Wanted>();
  let invalid = 0;
  let indexes = 0;
  for (const component of components) {
    for (const arch of architectures) {
      const candidates = packagesCandidates(release, component, arch);
      if (candidates.length === 0 && !explicit) continue;
      if (candidates.length === 0) throw upstreamError(UpstreamErrorCode.indexMissing, `the Release of ${dist} lists no Packages index for ${component}/binary-${arch}`, { dist, component, arch });
      let file;
      let kind: IndexCompression = 'plain';
      for (const { path, entry } of candidates) {
        file = await deps.fetcher.tryDownload(`dists/${dist}/${path}`, {
          tmpDir: deps.tmpDir, maxBytes: options.maxIndexBytes ?? Defaults.maxIndexBytes,
          expect: { size: entry.size, hash: { algorithm: 'sha256', hex: entry.sha256 }, mismatchCode: UpstreamErrorCode.indexMismatch },
        });
        kind = compressionOfPath(path);
        if (file) break;
      }
      if (!file) throw upstreamError(UpstreamErrorCode.indexMissing, `no Packages index of ${dist} ${component}/binary-${arch} could be fetched`, { dist, component, arch });
      indexes++;
      try {
        for await (const fields of readStanzas(openIndex(file.path, kind), { maxBytes: options.maxInflatedIndexBytes ?? Defaults.maxInflatedIndexBytes })) {
          const facts = stanzaFacts(fields);
          if (!facts) { invalid++; continue; }
          const key = `${packageRepository(options.feed, facts.name)}:${toTag(debianTagSource(facts.version, facts.arch, dist))}`;
          listed.add(key);
          if (held.has(key) || wanted.has(key) || !options.select(facts.name, facts.version)) continue;
          wanted.set(key, facts);
        }
      } finally {
        await file.dispose();
      }
    }
  }
  if (indexes === 0) throw upstreamError(UpstreamErrorCode.indexMissing, `the Release of ${dist} lists no Packages index for the components and architectures asked for`, { dist });
  return { wanted: [...wanted.values()], invalid };
}

/** Downloads, verifies and stores one selected version; false when ferry refuses the file. */
async function importOne(deps: MirrorDeps, options: DebianMirrorOptions, dist: string, w: Wanted): Promise<boolean> {
  const file = await deps.fetcher.download(w.filename, {
    tmpDir: deps.tmpDir, maxBytes: options.maxPackageBytes ?? Defaults.maxPackageBytes,
    expect: { size: w.size, hash: { algorithm: 'sha256', hex: w.sha256 }, mismatchCode: UpstreamErrorCode.fileMismatch },
  });
  try {
    const deb = await parseDeb(file.path);
    if (deb.name !== w.name || deb.version !== w.version || deb.architecture !== w.arch) {
      deps.note(`skipped ${w.filename}: its control file says ${deb.name} ${deb.version} ${deb.architecture}, the index ${w.name} ${w.version} ${w.arch}`);
      return false;
    }
    await storeDeb(deps.store, options.feed, file, { dist, origin: deps.origin });
    return true;
  } catch (err) {
    if (!isPackageRefusal(err)) throw err;
    deps.note(`skipped ${w.name} ${w.version} ${w.arch}: ${(err as { code: string }).code}`);
    return false;
  } finally {
    await file.dispose();
  }
}

/** Mirrors the selected packages of every distribution (see the module comment). */
export async function mirrorDebian(deps: MirrorDeps, options: DebianMirrorOptions): Promise<MirrorResult> {
  if (options.distributions.length === 0) throw upstreamError(UpstreamErrorCode.config, 'a debian upstream needs spec.distributions (the suites to take)', {});
  const held = await heldKeys(deps.store, options.feed);
  const result: MirrorResult = { listed: new Set(), imported: 0, bytes: 0, skipped: 0, complete: true };
  for (const dist of options.distributions) {
    if (!DIST_PATTERN.test(dist)) throw upstreamError(UpstreamErrorCode.config, 'distribution name cannot be a dist of a ferry feed', { dist: dist.slice(0, 80) });
    const { wanted, invalid } = await scanDist(deps, options, dist, held, result.listed);
    if (invalid > 0) deps.note(`${dist}: ${invalid} index entries ferry cannot store (invalid name, version or fields) were ignored`);
    const describe = (w: Wanted) => ({ what: `${w.name} ${w.version} ${w.arch} into ${options.feed} (${dist})`, size: w.size });
    if (!(await importWanted(deps, options, wanted, result, (w) => importOne(deps, options, dist, w), describe))) return result;
  }
  return result;
}
