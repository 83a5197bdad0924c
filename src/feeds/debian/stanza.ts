/**
 * One package's stanza in a `Packages` index (APT repository format, "Packages Indices"), in
 * the field order dpkg-scanpackages writes (dpkg's CTRL_INDEX_PKG order, Dpkg::Control::FieldsCore),
 * with the fields of the control file ferry does not know kept after those, in file order.
 */
import type { ControlFields } from './control.js';

const ORDER = [
  'package', 'package-type', 'source', 'version', 'kernel-version', 'built-for-profiles', 'auto-built-package',
  'architecture', 'subarchitecture', 'installer-menu-item', 'build-essential', 'essential', 'protected', 'origin',
  'bugs', 'maintainer', 'installed-size', 'pre-depends', 'depends', 'recommends', 'suggests', 'enhances',
  'conflicts', 'breaks', 'replaces', 'provides', 'built-using', 'static-built-using', 'filename', 'size', 'md5sum',
  'sha1', 'sha256', 'section', 'priority', 'multi-arch', 'homepage', 'description', 'tag', 'task',
];
const RANK = new Map(ORDER.map((name, i) => [name, i]));
/** Fields ferry computes; a control file must not smuggle its own. */
const COMPUTED = new Set(['filename', 'size', 'md5sum', 'sha1', 'sha256', 'sha512', 'md5sum-old']);

export interface FileFacts {
  filename: string;
  size: number;
  md5: string;
  sha1: string;
  sha256: string;
}

/** The stanza text, ending with the blank line that separates stanzas. */
export function renderStanza(control: ControlFields, file: FileFacts): string {
  const fields: Array<[string, string]> = control.filter(([name]) => !COMPUTED.has(name.toLowerCase()));
  fields.push(['Filename', file.filename], ['Size', String(file.size)], ['MD5sum', file.md5], ['SHA1', file.sha1], ['SHA256', file.sha256]);
  const known = fields.filter(([n]) => RANK.has(n.toLowerCase())).sort((a, b) => (RANK.get(a[0].toLowerCase()) ?? 0) - (RANK.get(b[0].toLowerCase()) ?? 0));
  const unknown = fields.filter(([n]) => !RANK.has(n.toLowerCase()));
  let out = '';
  for (const [name, value] of [...known, ...unknown]) out += `${name}: ${value}\n`;
  return out + '\n';
}

/** `pool/main/<prefix>/<source-ish name>/` prefix: `lib` packages use four letters (`libc`). */
export function poolDirectory(name: string): string {
  const prefix = name.startsWith('lib') && name.length > 3 ? name.slice(0, 4) : name.slice(0, 1);
  return `pool/main/${prefix}/${name}`;
}

/** Debian's file name for a binary: `<name>_<version without epoch>_<arch>.deb`. */
export function debFileName(name: string, version: string, architecture: string): string {
  const colon = version.indexOf(':');
  return `${name}_${colon >= 0 ? version.slice(colon + 1) : version}_${architecture}.deb`;
}
