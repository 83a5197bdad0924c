/**
 * Low-level reader of the RPM file format (rpm's doc/manual/format.md, "RPM package file format"):
 *
 *   lead (96 bytes) · signature header (padded to 8 bytes) · main header · payload
 *
 * A header is `8e ad e8 01` · 4 reserved bytes · index count (u32 BE) · data size (u32 BE) ·
 * count × 16-byte index entries (tag, type, offset, count) · data store.
 *
 * Contract: every offset and count is bounds-checked against the bytes actually read, so a
 * truncated or hostile file throws FEED_INVALID_PACKAGE and never reads out of range or allocates more
 * than the configured header cap. Only the lead and the two headers are read into memory (the
 * payload is never loaded).
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { FerryError } from '../../errors/index.js';
import { feedError, FeedErrorCode } from '../artifact/index.js';

const LEAD_SIZE = 96;
const LEAD_MAGIC = 0xedabeedb;
const HEADER_MAGIC = Buffer.from([0x8e, 0xad, 0xe8, 0x01]);
const HEADER_PREAMBLE = 16;
const INDEX_ENTRY = 16;

/** Header data types (rpmtag.h rpmTagType). */
export const RpmType = {
  null: 0,
  char: 1,
  int8: 2,
  int16: 3,
  int32: 4,
  int64: 5,
  string: 6,
  bin: 7,
  stringArray: 8,
  i18nString: 9,
} as const;

export type TagValue = string | string[] | number[] | bigint[] | Buffer;

/** A parsed header: tag → value, as typed by the index entry. */
export type RpmHeaderTags = Map<number, TagValue>;

export interface RpmFileHeaders {
  signature: RpmHeaderTags;
  header: RpmHeaderTags;
  /** Byte offset of the main header in the file (createrepo's `rpm:header-range start`). */
  headerStart: number;
  /** Byte offset just past the main header (`rpm:header-range end`, start of the payload). */
  headerEnd: number;
  /** The main header's bytes (for the signature header's SHA256 check). */
  headerBytes: Buffer;
}

export interface ReadRpmOptions {
  /** Cap on the size of either header (index + data); larger headers are rejected. */
  maxHeaderBytes?: number;
}

function malformed(reason: string, data: Record<string, unknown> = {}): FerryError {
  return feedError(FeedErrorCode.invalidPackage, `not a valid RPM package: ${reason}`, { reason, ...data });
}

async function readExactly(fh: FileHandle, position: number, length: number, what: string): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) throw malformed(`truncated ${what}`, { offset: position, wanted: length, got: done });
    done += bytesRead;
  }
  return buf;
}

/** Reads the lead and both headers of the RPM at `path`. Throws FEED_INVALID_PACKAGE. */
export async function readRpmHeaders(path: string, { maxHeaderBytes = 64 * 1024 * 1024 }: ReadRpmOptions = {}): Promise<RpmFileHeaders> {
  const fh = await open(path, 'r');
  try {
    const lead = await readExactly(fh, 0, LEAD_SIZE, 'lead');
    if (lead.readUInt32BE(0) !== LEAD_MAGIC) throw malformed('bad lead magic');
    const sig = await readHeaderAt(fh, LEAD_SIZE, maxHeaderBytes, 'signature header');
    // The signature header is padded to a multiple of 8 bytes.
    const sigEnd = LEAD_SIZE + sig.bytes.length;
    const headerStart = sigEnd + ((8 - (sig.bytes.length % 8)) % 8);
    const main = await readHeaderAt(fh, headerStart, maxHeaderBytes, 'header');
    return {
      signature: sig.tags,
      header: main.tags,
      headerStart,
      headerEnd: headerStart + main.bytes.length,
      headerBytes: main.bytes,
    };
  } finally {
    await fh.close();
  }
}

async function readHeaderAt(fh: FileHandle, offset: number, maxBytes: number, what: string): Promise<{ tags: RpmHeaderTags; bytes: Buffer }> {
  const pre = await readExactly(fh, offset, HEADER_PREAMBLE, what);
  if (!pre.subarray(0, 4).equals(HEADER_MAGIC)) throw malformed(`bad ${what} magic`, { offset });
  const count = pre.readUInt32BE(8);
  const dataSize = pre.readUInt32BE(12);
  const total = HEADER_PREAMBLE + count * INDEX_ENTRY + dataSize;
  if (count === 0 || total > maxBytes) throw malformed(`${what} size out of bounds`, { count, dataSize });
  const rest = await readExactly(fh, offset + HEADER_PREAMBLE, total - HEADER_PREAMBLE, what);
  const bytes = Buffer.concat([pre, rest]);
  return { tags: parseHeaderBlob(bytes.subarray(HEADER_PREAMBLE), count, dataSize, what), bytes };
}

/** Parses an index + data store (without the 16-byte preamble). Exported for tests. */
export function parseHeaderBlob(blob: Buffer, count: number, dataSize: number, what = 'header'): RpmHeaderTags {
  const indexSize = count * INDEX_ENTRY;
  if (blob.length < indexSize + dataSize) throw malformed(`truncated ${what}`);
  const store = blob.subarray(indexSize, indexSize + dataSize);
  const tags: RpmHeaderTags = new Map();
  for (let i = 0; i < count; i++) {
    const at = i * INDEX_ENTRY;
    const tag = blob.readUInt32BE(at);
    const type = blob.readUInt32BE(at + 4);
    const off = blob.readInt32BE(at + 8);
    const n = blob.readUInt32BE(at + 12);
    if (off < 0 || off > store.length) throw malformed(`${what} entry offset out of range`, { tag });
    tags.set(tag, readValue(store, type, off, n, tag, what));
  }
  return tags;
}

function readValue(store: Buffer, type: number, off: number, n: number, tag: number, what: string): TagValue {
  const need = (size: number): void => {
    if (n > store.length || off + size * n > store.length) throw malformed(`${what} entry exceeds data store`, { tag });
  };
  switch (type) {
    case RpmType.null:
      return [];
    case RpmType.char:
    case RpmType.int8:
    case RpmType.bin:
      need(1);
      return Buffer.from(store.subarray(off, off + n));
    case RpmType.int16:
      need(2);
      return Array.from({ length: n }, (_, i) => store.readUInt16BE(off + i * 2));
    case RpmType.int32:
      need(4);
      return Array.from({ length: n }, (_, i) => store.readUInt32BE(off + i * 4));
    case RpmType.int64:
      need(8);
      return Array.from({ length: n }, (_, i) => store.readBigUInt64BE(off + i * 8));
    case RpmType.string:
      return readStrings(store, off, 1, tag, what)[0] ?? '';
    case RpmType.stringArray:
    case RpmType.i18nString:
      if (n > store.length) throw malformed(`${what} entry exceeds data store`, { tag });
      return readStrings(store, off, n, tag, what);
    default:
      throw malformed(`${what} entry has unknown type`, { tag, type });
  }
}

function readStrings(store: Buffer, off: number, n: number, tag: number, what: string): string[] {
  const out: string[] = [];
  let pos = off;
  for (let i = 0; i < n; i++) {
    const end = store.indexOf(0, pos);
    if (end < 0) throw malformed(`${what} string is not terminated`, { tag });
    out.push(store.toString('utf8', pos, end));
    pos = end + 1;
  }
  return out;
}
