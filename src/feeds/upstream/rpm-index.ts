/**
 * Reading a YUM/DNF repository's metadata (createrepo_c layout): `repodata/repomd.xml` names the
 * `primary` index with its checksum and size; `primary.xml` lists every package with its NEVRA,
 * checksum, size and location. Parsed with fast-xml-parser after refusing any DOCTYPE (no entity
 * tricks); primary is read whole into memory under a cap (see docs/feeds/upstream.md).
 */
import { XMLParser } from 'fast-xml-parser';
import { upstreamError, UpstreamErrorCode } from './errors.js';

export type ChecksumAlgorithm = 'sha256' | 'sha512' | 'sha1';

export interface RepoChecksum {
  algorithm: ChecksumAlgorithm;
  hex: string;
  /** True for sha1: accepted only because the repository offers nothing stronger (noted). */
  weak: boolean;
}

export interface RepomdEntry {
  href: string;
  /** `<timestamp>` of the primary entry (Unix seconds), when given. */
  timestamp?: number;
  checksum: RepoChecksum;
  size?: number;
}

export interface PrimaryPackage {
  name: string;
  arch: string;
  epoch: number;
  ver: string;
  rel: string;
  checksum: RepoChecksum;
  size?: number;
  href: string;
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', isArray: (name) => name === 'data' || name === 'package', parseTagValue: false, parseAttributeValue: false, processEntities: false });

function invalid(message: string, data: Record<string, unknown> = {}, cause?: unknown): Error {
  return upstreamError(UpstreamErrorCode.indexInvalid, message, data, cause);
}

function parse(xml: string, what: string): Record<string, unknown> {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw invalid(`${what} declares a DOCTYPE or entities; refused`, { what });
  try {
    return parser.parse(xml) as Record<string, unknown>;
  } catch (err) {
    throw invalid(`${what} is not well-formed XML`, { what }, err);
  }
}

type Node = Record<string, unknown>;
const text = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'object' && v !== null && typeof (v as Node)['#text'] === 'string' ? ((v as Node)['#text'] as string) : '').trim();
const attr = (v: unknown, name: string): string | undefined => (typeof v === 'object' && v !== null ? ((v as Node)[`@_${name}`] as string | undefined) : undefined);

/** A checksum element; md5 and unknown types are refused (UPSTREAM_WEAK_CHECKSUM). */
export function checksumOf(node: unknown, what: string): RepoChecksum {
  const type = (attr(node, 'type') ?? '').toLowerCase();
  const hex = text(node).toLowerCase();
  const algorithm = type === 'sha' ? 'sha1' : type;
  const lengths: Record<string, number> = { sha256: 64, sha512: 128, sha1: 40 };
  const length = lengths[algorithm];
  if (length === undefined) throw upstreamError(UpstreamErrorCode.weakChecksum, `${what} offers only a ${type || 'missing'} checksum; ferry takes sha256, sha512 (or sha1 when nothing else is offered)`, { what, type });
  if (hex.length !== length || !/^[0-9a-f]+$/.test(hex)) throw invalid(`${what} has a malformed checksum`, { what });
  return { algorithm: algorithm as ChecksumAlgorithm, hex, weak: algorithm === 'sha1' };
}

function sizeOf(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,15}$/.test(value)) throw invalid('malformed size in repository metadata');
  return Number(value);
}

/** The `primary` entry of a (verified) repomd.xml. */
export function parseRepomd(xml: string): RepomdEntry {
  const root = parse(xml, 'repomd.xml')['repomd'] as Node | undefined;
  const data = (root?.['data'] as Node[] | undefined) ?? [];
  const primary = data.find((d) => attr(d, 'type') === 'primary');
  if (!primary) throw upstreamError(UpstreamErrorCode.indexMissing, 'repomd.xml lists no primary index', {});
  const href = attr(primary['location'], 'href');
  if (!href) throw invalid('repomd.xml primary has no location');
  const timestamp = Number(text(primary['timestamp']));
  return { href, checksum: checksumOf(primary['checksum'], 'repomd.xml primary'), ...(text(primary['timestamp']) !== '' && Number.isFinite(timestamp) ? { timestamp } : {}), ...(sizeOf(text(primary['size'])) !== undefined ? { size: sizeOf(text(primary['size'])) as number } : {}) };
}

/** Every `<package type="rpm">` of primary.xml; entries with missing fields are skipped (counted). */
export function parsePrimary(xml: string): { packages: PrimaryPackage[]; invalid: number } {
  const root = parse(xml, 'primary.xml')['metadata'] as Node | undefined;
  const packages: PrimaryPackage[] = [];
  let bad = 0;
  for (const p of (root?.['package'] as Node[] | undefined) ?? []) {
    if (attr(p, 'type') !== 'rpm') continue;
    const version = p['version'];
    const name = text(p['name']);
    const arch = text(p['arch']);
    const ver = attr(version, 'ver') ?? '';
    const rel = attr(version, 'rel') ?? '';
    const epoch = Number(attr(version, 'epoch') ?? '0');
    const href = attr(p['location'], 'href');
    if (!name || !arch || !ver || !rel || !href || !Number.isSafeInteger(epoch) || epoch < 0) {
      bad++;
      continue;
    }
    packages.push({ name, arch, epoch, ver, rel, href, checksum: checksumOf(p['checksum'], `primary.xml entry ${name}`), ...(sizeOf(attr(p['size'], 'package')) !== undefined ? { size: sizeOf(attr(p['size'], 'package')) as number } : {}) });
  }
  return { packages, invalid: bad };
}
