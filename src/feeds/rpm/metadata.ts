/**
 * The parsed metadata of one RPM, as stored in the artifact's config blob
 * (`application/vnd.ferry.rpm.package.v1+json`), and its extraction from the file's headers.
 *
 * Contract: `inspectRpm(path)` either returns metadata whose name/version/release/arch are valid
 * (safe as a file name and as an RPM NEVRA) and whose headers are consistent with the file
 * (signature-header size and SHA256, payload digest), or throws FEED_INVALID_PACKAGE (malformed,
 * truncated, digest mismatch; `data.reason` says which), FEED_INVALID_NAME or FEED_INVALID_VERSION
 * (version, release or arch). Everything repodata needs is in the metadata, so the
 * views never reopen the package file.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { FerryError } from '../../errors/index.js';
import { feedError, FeedErrorCode } from '../artifact/index.js';
import { readRpmHeaders, type RpmHeaderTags, type TagValue } from './header.js';
import { FILE_GHOST, HASH_ALGO_SHA256, Sense, SigTag, Tag } from './tags.js';

export const RPM_ARTIFACT_TYPE = 'application/vnd.ferry.rpm.package.v1';
export const RPM_CONFIG_MEDIA_TYPE = 'application/vnd.ferry.rpm.package.v1+json';
export const RPM_FILE_MEDIA_TYPE = 'application/x-rpm';

export type DepFlag = 'EQ' | 'LT' | 'GT' | 'LE' | 'GE';

export interface RpmDependency {
  name: string;
  flags?: DepFlag;
  epoch?: string;
  ver?: string;
  rel?: string;
  /** Requires(pre/post): `pre="1"` in primary.xml. */
  pre?: boolean;
}

export interface RpmFileEntry {
  path: string;
  type?: 'dir' | 'ghost';
}

export interface RpmChangelogEntry {
  author: string;
  /** Unix seconds. */
  date: number;
  text: string;
}

export interface RpmPackageMeta {
  name: string;
  epoch: number;
  version: string;
  release: string;
  arch: string;
  summary: string;
  description: string;
  license: string;
  url: string;
  vendor: string;
  group: string;
  packager: string;
  buildHost: string;
  sourceRpm: string;
  /** Unix seconds. */
  buildTime: number;
  installedSize: number;
  archiveSize: number;
  headerRange: { start: number; end: number };
  provides: RpmDependency[];
  requires: RpmDependency[];
  conflicts: RpmDependency[];
  obsoletes: RpmDependency[];
  files: RpmFileEntry[];
  /** Oldest first, as in other.xml. */
  changelog: RpmChangelogEntry[];
  /** `<name>-<version>-<release>.<arch>.rpm` */
  fileName: string;
  /** Hex sha256 of the whole file (the layer digest; repodata's pkgid). */
  sha256: string;
  size: number;
}

const NAME_RE = /^[A-Za-z0-9_+][A-Za-z0-9._+-]{0,199}$/;
const VERSION_RE = /^[A-Za-z0-9._+~^]{1,128}$/;
const ARCH_RE = /^[A-Za-z0-9_]{1,32}$/;
/** Changelog entries kept for other.xml (newest ones); createrepo_c offers the same cap. */
const MAX_CHANGELOG = 50;

/** Package version as ferry tags it: `[epoch:]version-release.arch` (one tag per NEVRA). */
export function rpmVersionKey(meta: Pick<RpmPackageMeta, 'epoch' | 'version' | 'release' | 'arch'>): string {
  return `${meta.epoch > 0 ? `${meta.epoch}:` : ''}${meta.version}-${meta.release}.${meta.arch}`;
}

/** Reads, validates and checks the RPM at `path` (whose sha256 the uploader computed); see the module contract. */
export async function inspectRpm(path: string, sha256Hex: string): Promise<RpmPackageMeta> {
  const { size } = await stat(path);
  const h = await readRpmHeaders(path);
  await checkIntegrity(path, size, h);
  const t = h.header;
  const name = str(t, Tag.name);
  const version = str(t, Tag.version);
  const release = str(t, Tag.release);
  // Source packages are `.src.rpm` whatever they were built on (createrepo_c does the same).
  const arch = t.has(Tag.sourcePackage) ? 'src' : str(t, Tag.arch) || 'noarch';
  validateField(FeedErrorCode.invalidName, 'name', name, NAME_RE);
  validateField(FeedErrorCode.invalidVersion, 'version', version, VERSION_RE);
  validateField(FeedErrorCode.invalidVersion, 'release', release, VERSION_RE);
  validateField(FeedErrorCode.invalidVersion, 'arch', arch, ARCH_RE);
  const epoch = num(t, Tag.epoch) ?? 0;
  const files = fileList(t);
  const provides = deps(t, Tag.provideName, Tag.provideFlags, Tag.provideVersion);
  return {
    name, epoch, version, release, arch,
    summary: str(t, Tag.summary),
    description: str(t, Tag.description),
    license: str(t, Tag.license),
    url: str(t, Tag.url),
    vendor: str(t, Tag.vendor),
    group: str(t, Tag.group),
    packager: str(t, Tag.packager),
    buildHost: str(t, Tag.buildHost),
    sourceRpm: str(t, Tag.sourceRpm),
    buildTime: num(t, Tag.buildTime) ?? 0,
    installedSize: num(t, Tag.longSize) ?? num(t, Tag.size) ?? 0,
    archiveSize: num(h.signature, SigTag.longArchiveSize) ?? num(h.signature, SigTag.payloadSize) ?? 0,
    headerRange: { start: h.headerStart, end: h.headerEnd },
    provides,
    requires: primaryRequires(deps(t, Tag.requireName, Tag.requireFlags, Tag.requireVersion), files),
    conflicts: deps(t, Tag.conflictName, Tag.conflictFlags, Tag.conflictVersion),
    obsoletes: deps(t, Tag.obsoleteName, Tag.obsoleteFlags, Tag.obsoleteVersion),
    files,
    changelog: changelog(t),
    fileName: `${name}-${version}-${release}.${arch}.rpm`,
    sha256: sha256Hex,
    size,
  };
}

function validateField(code: FeedErrorCode, field: string, value: string, re: RegExp): void {
  if (!re.test(value)) throw feedError(code, `RPM ${field} is missing or not allowed`, { field, value: value.slice(0, 64) });
}

/** Size and digests recorded by rpmbuild/rpmsign must match what was uploaded. */
async function checkIntegrity(path: string, fileSize: number, h: Awaited<ReturnType<typeof readRpmHeaders>>): Promise<void> {
  const mismatch = (what: string): FerryError =>
    feedError(FeedErrorCode.invalidPackage, `RPM ${what} digest does not match its signature header`, { reason: `${what}-digest` });
  const sigSize = num(h.signature, SigTag.longSize) ?? num(h.signature, SigTag.size);
  if (sigSize !== undefined && h.headerStart + sigSize !== fileSize) {
    throw feedError(FeedErrorCode.invalidPackage, 'not a valid RPM package: size differs from the signature header', {
      reason: 'size',
      expected: h.headerStart + sigSize,
      actual: fileSize,
    });
  }
  if (fileSize < h.headerEnd) throw feedError(FeedErrorCode.invalidPackage, 'not a valid RPM package: truncated', { reason: 'truncated' });
  const headerSha = h.signature.get(SigTag.sha256);
  if (typeof headerSha === 'string' && createHash('sha256').update(h.headerBytes).digest('hex') !== headerSha) throw mismatch('header');
  const algo = num(h.header, Tag.payloadDigestAlgo);
  const payloadDigest = h.header.get(Tag.payloadDigest);
  if (algo === HASH_ALGO_SHA256 && Array.isArray(payloadDigest) && typeof payloadDigest[0] === 'string') {
    const hash = createHash('sha256');
    await pipeline(createReadStream(path, { start: h.headerEnd }), hash);
    if (hash.digest('hex') !== payloadDigest[0]) throw mismatch('payload');
  }
}

function str(t: RpmHeaderTags, tag: number): string {
  const v = t.get(tag);
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return '';
}

function num(t: RpmHeaderTags, tag: number): number | undefined {
  const v = t.get(tag);
  if (!Array.isArray(v) || v.length === 0) return undefined;
  const first = v[0];
  return typeof first === 'bigint' ? Number(first) : typeof first === 'number' ? first : undefined;
}

function strings(v: TagValue | undefined): string[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function numbers(v: TagValue | undefined): number[] {
  return Array.isArray(v) ? v.map((x) => Number(x)) : [];
}

function flagName(flags: number): DepFlag | undefined {
  const cmp = flags & (Sense.less | Sense.greater | Sense.equal);
  const table: Record<number, DepFlag> = {
    [Sense.equal]: 'EQ',
    [Sense.less]: 'LT',
    [Sense.greater]: 'GT',
    [Sense.less | Sense.equal]: 'LE',
    [Sense.greater | Sense.equal]: 'GE',
  };
  return table[cmp];
}

/** Splits `[epoch:]version[-release]`; epoch defaults to "0" like createrepo_c. */
export function parseEvr(evr: string): { epoch: string; ver: string; rel?: string } {
  const m = /^(\d+):(.*)$/.exec(evr);
  const epoch = m?.[1] ?? '0';
  const rest = m?.[2] ?? evr;
  const dash = rest.lastIndexOf('-');
  return dash > 0 ? { epoch, ver: rest.slice(0, dash), rel: rest.slice(dash + 1) } : { epoch, ver: rest };
}

function deps(t: RpmHeaderTags, nameTag: number, flagsTag: number, versionTag: number): RpmDependency[] {
  const names = strings(t.get(nameTag));
  const flags = numbers(t.get(flagsTag));
  const versions = strings(t.get(versionTag));
  return names.map((name, i) => {
    const f = flags[i] ?? 0;
    const dep: RpmDependency = { name };
    const flag = flagName(f);
    const evr = versions[i] ?? '';
    if (flag && evr) Object.assign(dep, { flags: flag }, parseEvr(evr));
    if (f & (Sense.prereq | Sense.scriptPre | Sense.scriptPost)) dep.pre = true;
    return dep;
  });
}

/** createrepo_c's `cr_is_primary`: files that go into primary.xml as well as filelists.xml. */
export function isPrimaryFile(path: string): boolean {
  return path.startsWith('/etc/') || path === '/usr/lib/sendmail' || path.includes('bin/');
}

/** Requires as createrepo_c lists them: no `rpmlib(…)`, no own primary files, no duplicates. */
function primaryRequires(requires: RpmDependency[], files: RpmFileEntry[]): RpmDependency[] {
  const own = new Set(files.map((f) => f.path));
  const seen = new Set<string>();
  return requires.filter((d) => {
    if (d.name.startsWith('rpmlib(')) return false;
    if (d.name.startsWith('/') && own.has(d.name) && isPrimaryFile(d.name)) return false;
    const key = JSON.stringify([d.name, d.flags, d.epoch, d.ver, d.rel, d.pre]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function fileList(t: RpmHeaderTags): RpmFileEntry[] {
  const base = strings(t.get(Tag.baseNames));
  const dirs = strings(t.get(Tag.dirNames));
  const index = numbers(t.get(Tag.dirIndexes));
  const modes = numbers(t.get(Tag.fileModes));
  const flags = numbers(t.get(Tag.fileFlags));
  return base.map((b, i) => {
    const dir = dirs[index[i] ?? -1];
    if (dir === undefined) throw feedError(FeedErrorCode.invalidPackage, 'not a valid RPM package: file list is inconsistent', { reason: 'dirindexes' });
    const entry: RpmFileEntry = { path: dir + b };
    if (((flags[i] ?? 0) & FILE_GHOST) !== 0) entry.type = 'ghost';
    else if (((modes[i] ?? 0) & 0o170000) === 0o040000) entry.type = 'dir';
    return entry;
  });
}

function changelog(t: RpmHeaderTags): RpmChangelogEntry[] {
  const times = numbers(t.get(Tag.changelogTime));
  const names = strings(t.get(Tag.changelogName));
  const texts = strings(t.get(Tag.changelogText));
  const entries = times.slice(0, MAX_CHANGELOG).map((date, i) => ({ author: names[i] ?? '', date, text: texts[i] ?? '' }));
  return entries.reverse();
}
