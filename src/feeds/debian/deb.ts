/**
 * Parsing an uploaded .deb (deb(5)): `debian-binary` first (format 2.x), then `control.tar[.gz|
 * .xz|.zst]`, then `data.tar[.gz|.xz|.zst|.bz2|.lzma]`. The control archive is inflated under a
 * cap and its `control` file parsed and checked against policy. The data archive is not read:
 * ferry never unpacks it (clients' dpkg does, with its own checks), only its presence and
 * compression are verified.
 */
import { feedError, FeedErrorCode } from '../artifact/index.js';
import { readArMember, readArMembers } from './ar.js';
import { binaryIdentity, parseControl, type BinaryIdentity, type ControlFields } from './control.js';
import { compressionOf, decompress } from './decompress.js';
import { readTar } from './tar.js';

const MAX_CONTROL_COMPRESSED = 8 * 1024 * 1024;
const MAX_CONTROL_INFLATED = 32 * 1024 * 1024;
const MAX_CONTROL_FILE = 1024 * 1024;
const DATA_MEMBERS = new Set(['data.tar', 'data.tar.gz', 'data.tar.xz', 'data.tar.zst', 'data.tar.bz2', 'data.tar.lzma']);

export interface ParsedDeb extends BinaryIdentity {
  /** Control fields in file order. */
  control: ControlFields;
  /** Installed-Size etc. are in `control`; this is the control archive member used. */
  controlMember: string;
  dataMember: string;
}

function invalid(message: string, data: Record<string, unknown> = {}): Error {
  return feedError(FeedErrorCode.invalidPackage, message, data);
}

/** Parses and validates the .deb at `path` (see the module comment); throws FEED_* codes. */
export async function parseDeb(path: string): Promise<ParsedDeb> {
  const members = await readArMembers(path);
  const [binary, control, data] = members;
  if (!binary || binary.name !== 'debian-binary') throw invalid('first member must be debian-binary');
  const format = (await readArMember(path, binary, 64)).toString('latin1');
  if (!/^2\.\d+\n/.test(format)) throw invalid('unsupported .deb format version');
  if (!control) throw invalid('control archive missing');
  const compression = compressionOf(control.name, 'control.tar');
  if (!compression) throw invalid('second member must be control.tar[.gz|.xz|.zst]', { member: control.name });
  if (!data || !DATA_MEMBERS.has(data.name)) throw invalid('third member must be the data archive', { member: data?.name });
  const inflated = await decompress(compression, await readArMember(path, control, MAX_CONTROL_COMPRESSED), MAX_CONTROL_INFLATED);
  const entries = readTar(inflated);
  const file = entries.find((e) => e.name === 'control' && (e.type === '0' || e.type === '7'));
  if (!file) throw invalid('control archive has no control file');
  if (file.data.length > MAX_CONTROL_FILE) throw invalid('control file too large');
  const text = file.data.toString('utf8');
  if (text.includes('\uFFFD') || text.includes('\0')) throw invalid('control file is not UTF-8 text');
  const fields = parseControl(text);
  return { ...binaryIdentity(fields), control: fields, controlMember: control.name, dataMember: data.name };
}
