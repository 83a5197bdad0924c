/**
 * The control file of a binary package (Debian Policy 5.3, deb822 syntax): parsing with field
 * order kept, and the policy checks ferry enforces before storing a package.
 *
 * - Package (policy 5.6.1): `[a-z0-9][a-z0-9+.-]+`.
 * - Version (policy 5.6.12): `[epoch:]upstream[-revision]`; epoch digits; upstream starts with a
 *   digit and uses `[A-Za-z0-9.+~-]` (`-` only when there is a revision, `:` only with an epoch
 *   — ferry refuses `:` in upstream versions entirely, as dpkg warns on them); revision
 *   `[A-Za-z0-9+.~]+`.
 * - Architecture: one architecture name (`all`, `amd64`, `arm64`, …): `[a-z0-9][a-z0-9-]*`.
 */
import { feedError, FeedErrorCode } from '../artifact/index.js';

/** Fields in file order; values with continuation lines joined by `\n` (leading space kept). */
export type ControlFields = Array<[name: string, value: string]>;

const FIELD_NAME = /^[!-9;-~][!-9;-~]*$/;
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;
const VERSION = /^(?:(\d+):)?([0-9][A-Za-z0-9.+~]*(?:-[A-Za-z0-9.+~]+)*?)(?:-([A-Za-z0-9+.~]+))?$/;
const ARCHITECTURE = /^[a-z0-9][a-z0-9-]{0,63}$/;
const MAX_FIELDS = 200;

function invalid(message: string, data: Record<string, unknown> = {}): Error {
  return feedError(FeedErrorCode.invalidPackage, message, data);
}

/** Parses one deb822 paragraph (the control file); throws FEED_INVALID_PACKAGE when malformed. */
export function parseControl(text: string): ControlFields {
  const fields: ControlFields = [];
  const seen = new Set<string>();
  for (const line of text.replace(/\r\n/g, '\n').split('\n')) {
    if (line.trim() === '') {
      if (fields.length > 0) break;
      continue;
    }
    if (line.startsWith('#')) continue;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      const last = fields[fields.length - 1];
      if (!last) throw invalid('control file starts with a continuation line');
      last[1] += `\n${line}`;
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!FIELD_NAME.test(name)) throw invalid('malformed control file line');
    const key = name.toLowerCase();
    if (seen.has(key)) throw invalid('duplicate control field', { field: name });
    if (fields.length >= MAX_FIELDS) throw invalid('too many control fields');
    seen.add(key);
    fields.push([name, line.slice(colon + 1).trim()]);
  }
  return fields;
}

/** The value of a field (case-insensitive name), undefined when absent. */
export function controlField(fields: ControlFields, name: string): string | undefined {
  const key = name.toLowerCase();
  return fields.find(([n]) => n.toLowerCase() === key)?.[1];
}

export function isValidPackageName(name: string): boolean {
  return name.length <= 128 && PACKAGE_NAME.test(name);
}

export function isValidVersion(version: string): boolean {
  return version.length <= 128 && VERSION.test(version);
}

export interface BinaryIdentity {
  name: string;
  version: string;
  architecture: string;
}

/** Checks the identity fields against policy (see the module comment). */
export function binaryIdentity(fields: ControlFields): BinaryIdentity {
  const name = controlField(fields, 'Package');
  const version = controlField(fields, 'Version');
  const architecture = controlField(fields, 'Architecture');
  if (!name || !isValidPackageName(name)) throw feedError(FeedErrorCode.invalidName, 'Package name breaks Debian policy', { name: name?.slice(0, 140) });
  if (!version || !isValidVersion(version)) throw feedError(FeedErrorCode.invalidVersion, 'Version breaks Debian policy', { version: version?.slice(0, 140) });
  if (!architecture || !ARCHITECTURE.test(architecture)) throw invalid('Architecture missing or not a single architecture', { architecture: architecture?.slice(0, 80) });
  if (!controlField(fields, 'Maintainer') || !controlField(fields, 'Description')) throw invalid('Maintainer and Description are required');
  return { name, version, architecture };
}
