/**
 * A defensive reader of ZIP archives (PKWARE APPNOTE 6.3, sections 4.3.7 local header,
 * 4.3.12 central directory, 4.3.16 end of central directory) for `.nupkg` files.
 *
 * Contract: `inspectZip(path)` reads the central directory and then inflates EVERY entry as a
 * stream, counting real bytes, so a package is accepted only when
 *   - it has at most `maxEntries` entries, none encrypted, each stored or deflated;
 *   - every name is a relative path without `..`, `.` segments, drive letters, backslashes
 *     or NUL, and no two names are equal ignoring case;
 *   - every entry inflates to exactly its declared size with a matching CRC-32, the sum stays
 *     under `maxTotalBytes`, and no entry above 1 MiB expands more than `maxRatio` times.
 * Nothing is ever held in memory except entries read with `readEntry` (capped by the caller).
 * Failures throw FEED_INVALID_PACKAGE with `data.reason`. ZIP64 archives are refused.
 */
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { feedError, FeedErrorCode } from '../artifact/index.js';

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

export interface ZipLimits {
  maxEntries?: number;
  maxTotalBytes?: number;
  maxRatio?: number;
}

const EOCD_SIG = 0x06054b50;
const CDH_SIG = 0x02014b50;
const LFH_SIG = 0x04034b50;
const EOCD_MIN = 22;
const MAX_COMMENT = 0xffff;
const RATIO_FLOOR = 1024 * 1024;

function bad(reason: string, data: Record<string, unknown> = {}): Error {
  return feedError(FeedErrorCode.invalidPackage, `not a valid package archive: ${reason}`, { reason, ...data });
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, position);
  if (bytesRead !== length) throw bad('truncated');
  return buf;
}

/** Name rules: relative, no traversal, portable (see the module contract). */
export function isSafeEntryName(name: string): boolean {
  if (name.length === 0 || name.length > 1024) return false;
  if (name.includes('\0') || name.includes('\\') || name.startsWith('/') || /^[A-Za-z]:/.test(name)) return false;
  return name.split('/').every((seg, i, all) => seg !== '..' && seg !== '.' && (seg !== '' || i === all.length - 1));
}

async function readCentralDirectory(fh: FileHandle, fileSize: number, maxEntries: number): Promise<ZipEntry[]> {
  if (fileSize < EOCD_MIN) throw bad('too short');
  const tailLen = Math.min(fileSize, EOCD_MIN + MAX_COMMENT);
  const tail = await readAt(fh, fileSize - tailLen, tailLen);
  let at = -1;
  for (let i = tail.length - EOCD_MIN; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIG) {
      at = i;
      break;
    }
  }
  if (at < 0) throw bad('no end of central directory');
  const count = tail.readUInt16LE(at + 10);
  const cdSize = tail.readUInt32LE(at + 12);
  const cdOffset = tail.readUInt32LE(at + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) throw bad('zip64 is not supported');
  if (count > maxEntries) throw bad('too many entries', { entries: count, limit: maxEntries });
  if (cdOffset + cdSize > fileSize - tailLen + at) throw bad('central directory out of range');
  const cd = await readAt(fh, cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CDH_SIG) throw bad('corrupt central directory');
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    if (p + 46 + nameLen > cd.length) throw bad('corrupt central directory');
    entries.push({
      flags: cd.readUInt16LE(p + 8),
      method: cd.readUInt16LE(p + 10),
      crc32: cd.readUInt32LE(p + 16),
      compressedSize: cd.readUInt32LE(p + 20),
      size: cd.readUInt32LE(p + 24),
      localHeaderOffset: cd.readUInt32LE(p + 42),
      name: cd.toString('utf8', p + 46, p + 46 + nameLen),
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

function checkEntries(entries: ZipEntry[], fileSize: number, { maxTotalBytes, maxRatio }: Required<Omit<ZipLimits, 'maxEntries'>>): void {
  const seen = new Set<string>();
  let total = 0;
  for (const e of entries) {
    if (!isSafeEntryName(e.name)) throw bad('unsafe entry name', { entry: e.name.slice(0, 200) });
    const key = e.name.toLowerCase();
    if (seen.has(key)) throw bad('duplicate entry name', { entry: e.name.slice(0, 200) });
    seen.add(key);
    if (e.flags & 1) throw bad('encrypted entry', { entry: e.name });
    if (e.method !== 0 && e.method !== 8) throw bad('unsupported compression method', { entry: e.name, method: e.method });
    if (e.size === 0xffffffff || e.compressedSize === 0xffffffff || e.localHeaderOffset === 0xffffffff) throw bad('zip64 is not supported');
    if (e.localHeaderOffset + 30 + e.compressedSize > fileSize) throw bad('entry out of range', { entry: e.name });
    if (e.method === 0 && e.size !== e.compressedSize) throw bad('stored entry sizes differ', { entry: e.name });
    if (e.size > RATIO_FLOOR && e.size > e.compressedSize * maxRatio) throw bad('compression ratio too high', { entry: e.name });
    total += e.size;
    if (total > maxTotalBytes) throw bad('uncompressed size too large', { limit: maxTotalBytes });
  }
}

async function dataOffset(fh: FileHandle, e: ZipEntry): Promise<number> {
  const lfh = await readAt(fh, e.localHeaderOffset, 30);
  if (lfh.readUInt32LE(0) !== LFH_SIG) throw bad('corrupt local header', { entry: e.name });
  return e.localHeaderOffset + 30 + lfh.readUInt16LE(26) + lfh.readUInt16LE(28);
}

/** Counts and CRCs inflated bytes; fails as soon as an entry exceeds its declared size. */
class Meter extends Transform {
  bytes = 0;
  crc = 0;
  constructor(private readonly entry: ZipEntry) {
    super();
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.entry.size) return cb(bad('entry larger than declared', { entry: this.entry.name }));
    this.crc = zlib.crc32(chunk, this.crc);
    cb();
  }
}

async function verifyEntry(path: string, fh: FileHandle, e: ZipEntry): Promise<void> {
  const start = await dataOffset(fh, e);
  const meter = new Meter(e);
  try {
    if (e.compressedSize > 0) {
      const source = createReadStream(path, { start, end: start + e.compressedSize - 1 });
      if (e.method === 8) await pipeline(source, zlib.createInflateRaw(), meter);
      else await pipeline(source, meter);
    }
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === FeedErrorCode.invalidPackage) throw err;
    throw bad('corrupt entry data', { entry: e.name });
  }
  if (meter.bytes !== e.size || (meter.crc >>> 0) !== e.crc32) throw bad('entry size or CRC mismatch', { entry: e.name });
}

/** Reads and fully verifies the archive at `path`; returns its entries. See the module contract. */
export async function inspectZip(path: string, { maxEntries = 10_000, maxTotalBytes = 4 * 1024 ** 3, maxRatio = 200 }: ZipLimits = {}): Promise<ZipEntry[]> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const entries = await readCentralDirectory(fh, size, maxEntries);
    checkEntries(entries, size, { maxTotalBytes, maxRatio });
    for (const e of entries) await verifyEntry(path, fh, e);
    return entries;
  } finally {
    await fh.close();
  }
}

/** Inflates one (already verified) entry into memory; refuses entries above `maxBytes`. */
export async function readEntry(path: string, entry: ZipEntry, maxBytes: number): Promise<Buffer> {
  // Deflate never needs much more room than the data itself: a bigger compressed size is hostile.
  if (entry.size > maxBytes || entry.compressedSize > maxBytes + 64 * 1024) throw bad('entry too large', { entry: entry.name, limit: maxBytes });
  const fh = await open(path, 'r');
  try {
    const start = await dataOffset(fh, entry);
    const raw = await readAt(fh, start, entry.compressedSize);
    return entry.method === 8 ? zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, maxBytes) }) : raw;
  } finally {
    await fh.close();
  }
}
