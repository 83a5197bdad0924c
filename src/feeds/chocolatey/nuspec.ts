/**
 * Reading a `.nupkg`: the archive is verified by zip.ts (bomb and traversal safe), then its one
 * root `.nuspec` (learn.microsoft.com/nuget/reference/nuspec) is parsed into the metadata ferry
 * stores in the artifact's config blob (`application/vnd.ferry.chocolatey.package.v1+json`).
 *
 * Contract: `inspectNupkg` returns metadata whose id and version pass NuGet's rules, or throws
 * FEED_INVALID_PACKAGE (bad archive, no / several / unparsable nuspec, DTDs), FEED_INVALID_NAME
 * or FEED_INVALID_VERSION. The XML parser never expands entities beyond the five predefined ones
 * (a nuspec with a DOCTYPE is refused), and every string field is length-capped.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { XMLParser } from 'fast-xml-parser';
import { feedError, FeedErrorCode } from '../artifact/index.js';
import { isValidPackageId, normalizeVersion, parseVersion } from './version.js';
import { inspectZip, readEntry, type ZipLimits } from './zip.js';

export const CHOCOLATEY_ARTIFACT_TYPE = 'application/vnd.ferry.chocolatey.package.v1';
export const CHOCOLATEY_CONFIG_MEDIA_TYPE = 'application/vnd.ferry.chocolatey.package.v1+json';
export const NUPKG_MEDIA_TYPE = 'application/vnd.nuget.package';

export interface NupkgMeta {
  id: string;
  /** As the nuspec declares it. */
  version: string;
  normalizedVersion: string;
  isPrerelease: boolean;
  title: string;
  authors: string;
  owners: string;
  description: string;
  summary: string;
  releaseNotes: string;
  copyright: string;
  language: string;
  tags: string;
  projectUrl: string;
  iconUrl: string;
  licenseUrl: string;
  /** Chocolatey nuspec extensions (choco shows them in `choco info`); optional in older configs. */
  packageSourceUrl?: string;
  projectSourceUrl?: string;
  docsUrl?: string;
  mailingListUrl?: string;
  bugTrackerUrl?: string;
  requireLicenseAcceptance: boolean;
  minClientVersion: string;
  /** OData form: `id:range:targetFramework|…`. */
  dependencies: string;
  /** Base64 SHA-512 of the .nupkg (PackageHash). */
  packageHash: string;
  packageSize: number;
  /** ISO 8601 time of the push. */
  published: string;
}

const MAX_NUSPEC_BYTES = 1024 * 1024;
const MAX_FIELD = 64 * 1024;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  isArray: (name) => name === 'dependency' || name === 'group',
});

type Node = Record<string, unknown>;

function invalid(reason: string, data: Record<string, unknown> = {}): Error {
  return feedError(FeedErrorCode.invalidPackage, `not a valid NuGet package: ${reason}`, { reason, ...data });
}

function text(node: Node, key: string): string {
  const v = node[key];
  const s = typeof v === 'string' ? v : v && typeof v === 'object' && typeof (v as Node)['#text'] === 'string' ? ((v as Node)['#text'] as string) : '';
  return s.slice(0, MAX_FIELD);
}

function dependencyString(deps: unknown): string {
  if (!deps || typeof deps !== 'object') return '';
  const d = deps as Node;
  const one = (dep: unknown, tfm: string): string => {
    const x = dep as Node;
    return `${String(x['@_id'] ?? '')}:${String(x['@_version'] ?? '')}:${tfm}`;
  };
  const flat = ((d.dependency as unknown[] | undefined) ?? []).map((dep) => one(dep, ''));
  const grouped = ((d.group as unknown[] | undefined) ?? []).flatMap((g) => {
    const group = (g ?? {}) as Node;
    const tfm = String(group['@_targetFramework'] ?? '');
    const list = (group.dependency as unknown[] | undefined) ?? [];
    return list.length > 0 ? list.map((dep) => one(dep, tfm)) : [`::${tfm}`];
  });
  return [...flat, ...grouped].join('|').slice(0, MAX_FIELD);
}

/** Parses nuspec XML into metadata (hash, size and time are filled by the caller). */
export function parseNuspec(xml: string): Omit<NupkgMeta, 'packageHash' | 'packageSize' | 'published'> {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw invalid('nuspec must not contain a DTD');
  let doc: Node;
  try {
    doc = parser.parse(xml) as Node;
  } catch {
    throw invalid('nuspec is not well-formed XML');
  }
  const metadata = (doc.package as Node | undefined)?.metadata as Node | undefined;
  if (!metadata || typeof metadata !== 'object') throw invalid('nuspec has no package/metadata');
  const id = text(metadata, 'id');
  if (!isValidPackageId(id)) throw feedError(FeedErrorCode.invalidName, 'invalid NuGet package id', { id: id.slice(0, 120) });
  const rawVersion = text(metadata, 'version');
  const version = parseVersion(rawVersion);
  if (!version) throw feedError(FeedErrorCode.invalidVersion, 'invalid NuGet package version', { version: rawVersion.slice(0, 80) });
  const description = text(metadata, 'description');
  return {
    id,
    version: rawVersion,
    normalizedVersion: normalizeVersion(version),
    isPrerelease: version.prerelease !== '',
    title: text(metadata, 'title'),
    authors: text(metadata, 'authors'),
    owners: text(metadata, 'owners'),
    description,
    summary: text(metadata, 'summary'),
    releaseNotes: text(metadata, 'releaseNotes'),
    copyright: text(metadata, 'copyright'),
    language: text(metadata, 'language'),
    tags: text(metadata, 'tags'),
    projectUrl: text(metadata, 'projectUrl'),
    iconUrl: text(metadata, 'iconUrl'),
    licenseUrl: text(metadata, 'licenseUrl'),
    packageSourceUrl: text(metadata, 'packageSourceUrl'),
    projectSourceUrl: text(metadata, 'projectSourceUrl'),
    docsUrl: text(metadata, 'docsUrl'),
    mailingListUrl: text(metadata, 'mailingListUrl'),
    bugTrackerUrl: text(metadata, 'bugTrackerUrl'),
    requireLicenseAcceptance: text(metadata, 'requireLicenseAcceptance').toLowerCase() === 'true',
    minClientVersion: String(metadata['@_minClientVersion'] ?? '').slice(0, 64),
    dependencies: dependencyString(metadata.dependencies),
  };
}

/** Verifies the archive at `path` and reads its nuspec; see the module contract. */
export async function inspectNupkg(path: string, size: number, limits: ZipLimits = {}): Promise<NupkgMeta> {
  const entries = await inspectZip(path, limits);
  const specs = entries.filter((e) => !e.name.includes('/') && e.name.toLowerCase().endsWith('.nuspec'));
  if (specs.length !== 1 || !specs[0]) throw invalid(specs.length === 0 ? 'no .nuspec at the root' : 'several .nuspec files');
  const xml = (await readEntry(path, specs[0], MAX_NUSPEC_BYTES)).toString('utf8').replace(/^\uFEFF/, '');
  const meta = parseNuspec(xml);
  const sha512 = createHash('sha512');
  await pipeline(createReadStream(path), sha512);
  return { ...meta, packageHash: sha512.digest('base64'), packageSize: size, published: new Date().toISOString() };
}
