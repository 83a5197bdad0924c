/**
 * Renders YUM/DNF repository metadata (the `repodata/` format of createrepo_c: primary.xml,
 * filelists.xml, other.xml and repomd.xml) from ferry's parsed RPM metadata.
 *
 * Contract: the output has the element order, namespaces and attributes createrepo_c writes, so
 * dnf/yum/zypper read it as they read createrepo_c's; every text and attribute is XML-escaped and
 * characters XML 1.0 forbids are dropped. Per-package fragments are pure functions of the
 * metadata, so a cache can keep them and concatenate (see repo-state.ts).
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { RpmDependency, RpmFileEntry, RpmPackageMeta } from './metadata.js';
import { isPrimaryFile } from './metadata.js';

/** The three per-package fragments of one package. */
export interface PackageFragments {
  primary: string;
  filelists: string;
  other: string;
}

export const REPODATA_KINDS = ['primary', 'filelists', 'other'] as const;
export type RepodataKind = (typeof REPODATA_KINDS)[number];

const HEADS: Record<RepodataKind, (n: number) => string> = {
  primary: (n) => `<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="${n}">\n`,
  filelists: (n) => `<filelists xmlns="http://linux.duke.edu/metadata/filelists" packages="${n}">\n`,
  other: (n) => `<otherdata xmlns="http://linux.duke.edu/metadata/other" packages="${n}">\n`,
};
const TAILS: Record<RepodataKind, string> = { primary: '</metadata>', filelists: '</filelists>', other: '</otherdata>' };
const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';

// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

export function xmlText(s: string): string {
  return s.replace(FORBIDDEN, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function xmlAttr(s: string): string {
  return xmlText(s).replace(/"/g, '&quot;');
}

function versionElement(m: RpmPackageMeta): string {
  return `<version epoch="${m.epoch}" ver="${xmlAttr(m.version)}" rel="${xmlAttr(m.release)}"/>`;
}

function depEntries(kind: string, list: RpmDependency[]): string {
  if (list.length === 0) return '';
  const lines = list.map((d) => {
    let attrs = `name="${xmlAttr(d.name)}"`;
    if (d.flags) attrs += ` flags="${d.flags}"`;
    if (d.epoch !== undefined) attrs += ` epoch="${xmlAttr(d.epoch)}"`;
    if (d.ver !== undefined) attrs += ` ver="${xmlAttr(d.ver)}"`;
    if (d.rel !== undefined) attrs += ` rel="${xmlAttr(d.rel)}"`;
    if (d.pre) attrs += ' pre="1"';
    return `      <rpm:entry ${attrs}/>\n`;
  });
  return `    <rpm:${kind}>\n${lines.join('')}    </rpm:${kind}>\n`;
}

function fileElement(f: RpmFileEntry, indent: string): string {
  return `${indent}<file${f.type ? ` type="${f.type}"` : ''}>${xmlText(f.path)}</file>\n`;
}

/**
 * The three fragments for one package. `href` is the `location href` (relative to the repo
 * root); `fileTime` the time the file entered the feed (Unix seconds).
 */
export function renderPackage(m: RpmPackageMeta, href: string, fileTime: number): PackageFragments {
  const id = `pkgid="${m.sha256}" name="${xmlAttr(m.name)}" arch="${xmlAttr(m.arch)}"`;
  const primary =
    `<package type="rpm">\n` +
    `  <name>${xmlText(m.name)}</name>\n` +
    `  <arch>${xmlText(m.arch)}</arch>\n` +
    `  ${versionElement(m)}\n` +
    `  <checksum type="sha256" pkgid="YES">${m.sha256}</checksum>\n` +
    `  <summary>${xmlText(m.summary)}</summary>\n` +
    `  <description>${xmlText(m.description)}</description>\n` +
    `  <packager>${xmlText(m.packager)}</packager>\n` +
    `  <url>${xmlText(m.url)}</url>\n` +
    `  <time file="${fileTime}" build="${m.buildTime}"/>\n` +
    `  <size package="${m.size}" installed="${m.installedSize}" archive="${m.archiveSize}"/>\n` +
    `  <location href="${xmlAttr(href)}"/>\n` +
    `  <format>\n` +
    `    <rpm:license>${xmlText(m.license)}</rpm:license>\n` +
    `    <rpm:vendor>${xmlText(m.vendor)}</rpm:vendor>\n` +
    `    <rpm:group>${xmlText(m.group)}</rpm:group>\n` +
    `    <rpm:buildhost>${xmlText(m.buildHost)}</rpm:buildhost>\n` +
    `    <rpm:sourcerpm>${xmlText(m.sourceRpm)}</rpm:sourcerpm>\n` +
    `    <rpm:header-range start="${m.headerRange.start}" end="${m.headerRange.end}"/>\n` +
    depEntries('provides', m.provides) +
    depEntries('requires', m.requires) +
    depEntries('conflicts', m.conflicts) +
    depEntries('obsoletes', m.obsoletes) +
    m.files.filter((f) => isPrimaryFile(f.path)).map((f) => fileElement(f, '    ')).join('') +
    `  </format>\n` +
    `</package>\n`;
  const filelists = `<package ${id}>\n  ${versionElement(m)}\n${m.files.map((f) => fileElement(f, '  ')).join('')}</package>\n`;
  const changes = m.changelog
    .map((c) => `  <changelog author="${xmlAttr(c.author)}" date="${c.date}">${xmlText(c.text)}</changelog>\n`)
    .join('');
  const other = `<package ${id}>\n  ${versionElement(m)}\n${changes}</package>\n`;
  return { primary, filelists, other };
}

/** One rendered, compressed metadata file and the numbers repomd.xml records for it. */
export interface RepodataFile {
  kind: RepodataKind;
  gz: Buffer;
  checksum: string;
  openChecksum: string;
  openSize: number;
  timestamp: number;
}

/** Builds `<kind>.xml.gz` from the fragments (in the given order), as one gzip member. */
export function buildRepodataFile(kind: RepodataKind, fragments: string[], timestamp: number): RepodataFile {
  const body = Buffer.from(fragments.join(''), 'utf8');
  return assembleRepodataFile(kind, [{ xml: body, gz: gzipSync(body, { level: 6 }) }], fragments.length, timestamp);
}

/** A block of consecutive packages: its XML and that XML compressed as one gzip member. */
export interface CompressedBlock {
  xml: Buffer;
  gz: Buffer;
}

export function compressBlock(fragments: string[]): CompressedBlock {
  const xml = Buffer.from(fragments.join(''), 'utf8');
  return { xml, gz: gzipSync(xml, { level: 6 }) };
}

/**
 * `<kind>.xml.gz` as a multi-member gzip file (RFC 1952 section 2.2): one member for the XML
 * declaration and root element, one per block of packages, one for the closing tag. zlib-based
 * readers (libsolv/librepo behind dnf, yum's Python gzip, `gzip -d`) read it as one stream; a
 * change re-compresses one block instead of the whole feed. Checksums and sizes are over the
 * whole file, as repomd.xml requires.
 */
export function assembleRepodataFile(kind: RepodataKind, blocks: CompressedBlock[], packages: number, timestamp: number): RepodataFile {
  const head = Buffer.from(XML_DECL + HEADS[kind](packages), 'utf8');
  const tail = Buffer.from(TAILS[kind], 'utf8');
  const parts: CompressedBlock[] = [{ xml: head, gz: gzipSync(head) }, ...blocks, { xml: tail, gz: gzipSync(tail) }];
  const gz = Buffer.concat(parts.map((p) => p.gz));
  const open = createHash('sha256');
  let openSize = 0;
  for (const p of parts) {
    open.update(p.xml);
    openSize += p.xml.length;
  }
  return { kind, gz, checksum: sha256Hex(gz), openChecksum: open.digest('hex'), openSize, timestamp };
}

/** `repodata/<checksum>-<kind>.xml.gz`, the unique name repomd.xml points at. */
export function repodataHref(f: RepodataFile): string {
  return `repodata/${f.checksum}-${f.kind}.xml.gz`;
}

export function renderRepomd(files: RepodataFile[], revision: number): string {
  const data = files.map(
    (f) =>
      `  <data type="${f.kind}">\n` +
      `    <checksum type="sha256">${f.checksum}</checksum>\n` +
      `    <open-checksum type="sha256">${f.openChecksum}</open-checksum>\n` +
      `    <location href="${repodataHref(f)}"/>\n` +
      `    <timestamp>${f.timestamp}</timestamp>\n` +
      `    <size>${f.gz.length}</size>\n` +
      `    <open-size>${f.openSize}</open-size>\n` +
      `  </data>\n`,
  );
  return (
    XML_DECL +
    `<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">\n` +
    `  <revision>${revision}</revision>\n` +
    data.join('') +
    `</repomd>\n`
  );
}

export function sha256Hex(buf: Buffer | string): string {
  return createHash('sha256').update(buf).digest('hex');
}
