/**
 * Reading a YUM/DNF repository's metadata (createrepo_c layout): `repodata/repomd.xml` names the
 * `primary` index with its checksum and size; `primary.xml` lists every package with its NEVRA,
 * checksum, size and location. Parsed with fast-xml-parser after refusing any DOCTYPE (no entity
 * tricks); primary is streamed one `<package>` element at a time (streamPrimary).
 */
import { StringDecoder } from 'node:string_decoder';
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

/** One parsed `<package>` node as a PrimaryPackage; undefined when a field is missing. */
function primaryPackage(p: Node): PrimaryPackage | undefined {
  const version = p['version'];
  const name = text(p['name']);
  const arch = text(p['arch']);
  const ver = attr(version, 'ver') ?? '';
  const rel = attr(version, 'rel') ?? '';
  const epoch = Number(attr(version, 'epoch') ?? '0');
  const href = attr(p['location'], 'href');
  if (!name || !arch || !ver || !rel || !href || !Number.isSafeInteger(epoch) || epoch < 0) return undefined;
  const size = sizeOf(attr(p['size'], 'package'));
  return { name, arch, epoch, ver, rel, href, checksum: checksumOf(p['checksum'], `primary.xml entry ${name}`), ...(size !== undefined ? { size } : {}) };
}

export interface PrimaryLimits {
  /** Cap on the inflated primary.xml. */
  maxBytes: number;
  /** Cap on one `<package>` element. */
  maxPackageBytes?: number;
}

/**
 * The `<package type="rpm">` entries of a primary.xml stream, parsed one element at a time (the
 * elements do not nest, so each is cut out at its `</package>` and parsed alone): memory stays
 * bounded by the largest package entry, not the index. A DOCTYPE before the first package is
 * refused. Yields undefined for an entry with missing fields (the caller counts them).
 */
export async function* streamPrimary(stream: AsyncIterable<Buffer | Uint8Array> | Iterable<Buffer | Uint8Array>, { maxBytes, maxPackageBytes = 16 * 1024 * 1024 }: PrimaryLimits): AsyncGenerator<PrimaryPackage | undefined> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let total = 0;
  let head = true;
  const drain = function* (): Generator<PrimaryPackage | undefined> {
    let at = 0;
    for (;;) {
      const start = pending.indexOf('<package', at);
      if (head) {
        const prologue = start < 0 ? pending : pending.slice(0, start);
        if (/<!DOCTYPE|<!ENTITY/i.test(prologue)) throw invalid('primary.xml declares a DOCTYPE or entities; refused', {});
        if (start >= 0) head = false;
      }
      if (start < 0) break;
      const end = pending.indexOf('</package>', start);
      if (end < 0) {
        if (pending.length - start > maxPackageBytes) throw invalid('a primary.xml package entry is larger than its limit', { limit: maxPackageBytes });
        at = start;
        break;
      }
      const element = pending.slice(start, end + '</package>'.length);
      at = end + '</package>'.length;
      const node = (parse(element, 'primary.xml')['package'] as Node[] | undefined)?.[0];
      if (node && attr(node, 'type') === 'rpm') yield primaryPackage(node);
    }
    pending = pending.slice(at);
    if (head && pending.length > maxPackageBytes) throw invalid('primary.xml has no package entries where expected', {});
  };
  try {
    for await (const chunk of stream) {
      total += chunk.length;
      if (total > maxBytes) throw upstreamError(UpstreamErrorCode.tooLarge, 'primary.xml inflates past its limit', { limit: maxBytes });
      pending += decoder.write(Buffer.from(chunk));
      yield* drain();
    }
  } catch (err) {
    if (String((err as { code?: unknown }).code ?? '').startsWith('UPSTREAM_')) throw err;
    throw invalid('primary.xml is not valid compressed data', {}, err);
  }
  pending += decoder.end();
  yield* drain();
}

/** Every `<package type="rpm">` of an in-memory primary.xml (tests, small repositories). */
export async function parsePrimary(xml: string): Promise<{ packages: PrimaryPackage[]; invalid: number }> {
  const packages: PrimaryPackage[] = [];
  let bad = 0;
  for await (const p of streamPrimary([Buffer.from(xml, 'utf8')], { maxBytes: Number.MAX_SAFE_INTEGER })) {
    if (p) packages.push(p);
    else bad++;
  }
  return { packages, invalid: bad };
}
