/**
 * Minimal reader of an in-memory (already size-capped) ustar/GNU/pax tar, enough to find the
 * `control` file of a .deb's control archive. Every member name is checked: absolute names,
 * `..` segments, NUL and backslashes are rejected (FEED_INVALID_PACKAGE), as is a member that
 * runs past the end of the archive.
 */
import { feedError, FeedErrorCode } from '../artifact/index.js';

export interface TarEntry {
  name: string;
  type: string;
  data: Buffer;
}

const BLOCK = 512;

function invalid(message: string, data: Record<string, unknown> = {}): Error {
  return feedError(FeedErrorCode.invalidPackage, message, data);
}

function field(block: Buffer, start: number, length: number): string {
  const raw = block.subarray(start, start + length);
  const nul = raw.indexOf(0);
  return raw.toString('utf8', 0, nul < 0 ? length : nul);
}

function octal(block: Buffer, start: number, length: number): number {
  const text = field(block, start, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]{1,12}$/.test(text)) throw invalid('malformed tar header');
  return parseInt(text, 8);
}

/** Normalises a member name (`./control` → `control`) after checking it is safe. */
export function safeMemberName(name: string): string {
  if (name.includes('\0') || name.includes('\\') || name.startsWith('/')) throw invalid('unsafe tar member name', { name: name.slice(0, 200) });
  const segments = name.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.some((s) => s === '..')) throw invalid('tar member name escapes the archive', { name: name.slice(0, 200) });
  return segments.join('/');
}

function paxPath(data: Buffer): string | undefined {
  const match = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'));
  return match?.[1];
}

/** All entries of the tar in `archive` (names checked and normalised, see above). */
export function readTar(archive: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let longName: string | undefined;
  while (offset + BLOCK <= archive.length) {
    const header = archive.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    const size = octal(header, 124, 12);
    const typeByte = header[156] ?? 0;
    const type = typeByte === 0 ? '0' : String.fromCharCode(typeByte);
    const prefix = field(header, 345, 155);
    const start = offset + BLOCK;
    if (start + size > archive.length) throw invalid('tar archive is truncated');
    const data = archive.subarray(start, start + size);
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'L') {
      longName = field(data, 0, data.length);
      continue;
    }
    if (type === 'x') {
      longName = paxPath(data) ?? longName;
      continue;
    }
    if (type === 'g') continue;
    const rawName = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    longName = undefined;
    entries.push({ name: safeMemberName(rawName), type, data });
  }
  return entries;
}
