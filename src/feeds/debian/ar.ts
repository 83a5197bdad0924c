/**
 * Reader of the `ar` container of a .deb (deb(5): "!<arch>\n", then 60-byte member headers,
 * data padded to an even offset). Reads headers from a file by offset; member data is never
 * loaded unless asked for, and then only under a size cap.
 *
 * Rejects (FEED_INVALID_PACKAGE) a bad magic, a malformed header, a member that runs past the end
 * of the file (truncated upload), and member names that are not plain file names (`/`, `..`,
 * NUL, BSD `#1/` long names), which dpkg would never produce and a path-traversal attack would.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { feedError, FeedErrorCode } from '../artifact/index.js';

export interface ArMember {
  name: string;
  /** Offset of the member's data in the file. */
  offset: number;
  size: number;
}

const MAGIC = '!<arch>\n';
const HEADER = 60;
const MAX_MEMBERS = 16;
const MEMBER_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,14}$/;

function invalid(message: string, data: Record<string, unknown> = {}): Error {
  return feedError(FeedErrorCode.invalidPackage, message, data);
}

async function readExactly(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await file.read(buffer, 0, length, position);
  if (bytesRead !== length) throw invalid('archive is truncated', { position });
  return buffer;
}

function parseHeader(header: Buffer, offset: number, fileSize: number): ArMember {
  if (header.toString('latin1', 58, 60) !== '`\n') throw invalid('malformed ar member header', { offset });
  const raw = header.toString('latin1', 0, 16).trimEnd();
  const name = raw.endsWith('/') ? raw.slice(0, -1) : raw;
  if (!MEMBER_NAME.test(name) || name.includes('..')) throw invalid('ar member name is not a plain file name', { name: raw.replace(/[^\x20-\x7e]/g, '?') });
  const sizeText = header.toString('latin1', 48, 58).trim();
  if (!/^\d{1,10}$/.test(sizeText)) throw invalid('malformed ar member size', { name });
  const size = Number(sizeText);
  const dataOffset = offset + HEADER;
  if (dataOffset + size > fileSize) throw invalid('archive is truncated', { name });
  return { name, offset: dataOffset, size };
}

/** Lists the members of the ar archive at `path` (validating every header, see above). */
export async function readArMembers(path: string): Promise<ArMember[]> {
  const file = await open(path, 'r');
  try {
    const { size: fileSize } = await file.stat();
    if (fileSize < MAGIC.length || (await readExactly(file, 0, MAGIC.length)).toString('latin1') !== MAGIC) {
      throw invalid('not an ar archive (bad magic)');
    }
    const members: ArMember[] = [];
    let offset = MAGIC.length;
    while (offset < fileSize) {
      if (members.length >= MAX_MEMBERS) throw invalid('too many ar members');
      const member = parseHeader(await readExactly(file, offset, HEADER), offset, fileSize);
      members.push(member);
      offset = member.offset + member.size + (member.size % 2);
    }
    if (offset !== fileSize && offset !== fileSize + 1) throw invalid('archive is truncated');
    return members;
  } finally {
    await file.close();
  }
}

/** The data of one member (at most `maxBytes`, else FEED_INVALID_PACKAGE). */
export async function readArMember(path: string, member: ArMember, maxBytes: number): Promise<Buffer> {
  if (member.size > maxBytes) throw invalid('ar member too large', { name: member.name, limit: maxBytes });
  const file = await open(path, 'r');
  try {
    return await readExactly(file, member.offset, member.size);
  } finally {
    await file.close();
  }
}
