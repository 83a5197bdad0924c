/**
 * NuGet v2 OData documents (the protocol `nuget` 2.x and `choco` speak; shapes as served by
 * NuGet.Server / the NuGet Gallery v2 feed): the service document, `$metadata`, Atom feeds and
 * entries of `V2FeedPackage`.
 *
 * Contract: every document is well-formed XML with all text escaped; `content src` points at
 * `<base>package/<id>/<version>` on this view, which serves the .nupkg.
 */
import type { NupkgMeta } from './nuspec.js';
import type { Properties } from './filter.js';

const NS = {
  atom: 'http://www.w3.org/2005/Atom',
  d: 'http://schemas.microsoft.com/ado/2007/08/dataservices',
  m: 'http://schemas.microsoft.com/ado/2007/08/dataservices/metadata',
  app: 'http://www.w3.org/2007/app',
} as const;
export const ENTITY_TYPE = 'NuGetGallery.OData.V2FeedPackage';

// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

export function esc(s: string): string {
  return s.replace(FORBIDDEN, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

type EdmType = 'Edm.String' | 'Edm.Boolean' | 'Edm.Int32' | 'Edm.Int64' | 'Edm.DateTime';

/** V2FeedPackage properties in NuGet Gallery order, with their EDM types. */
export const PROPERTIES: ReadonlyArray<readonly [string, EdmType]> = [
  ['Id', 'Edm.String'],
  ['Version', 'Edm.String'],
  ['NormalizedVersion', 'Edm.String'],
  ['Authors', 'Edm.String'],
  ['Copyright', 'Edm.String'],
  ['Created', 'Edm.DateTime'],
  ['Dependencies', 'Edm.String'],
  ['Description', 'Edm.String'],
  ['DownloadCount', 'Edm.Int32'],
  ['GalleryDetailsUrl', 'Edm.String'],
  ['IconUrl', 'Edm.String'],
  ['IsLatestVersion', 'Edm.Boolean'],
  ['IsAbsoluteLatestVersion', 'Edm.Boolean'],
  ['IsPrerelease', 'Edm.Boolean'],
  ['Language', 'Edm.String'],
  ['LastUpdated', 'Edm.DateTime'],
  ['Published', 'Edm.DateTime'],
  ['PackageHash', 'Edm.String'],
  ['PackageHashAlgorithm', 'Edm.String'],
  ['PackageSize', 'Edm.Int64'],
  ['ProjectUrl', 'Edm.String'],
  ['ReportAbuseUrl', 'Edm.String'],
  ['ReleaseNotes', 'Edm.String'],
  ['RequireLicenseAcceptance', 'Edm.Boolean'],
  ['Summary', 'Edm.String'],
  ['Tags', 'Edm.String'],
  ['Title', 'Edm.String'],
  ['VersionDownloadCount', 'Edm.Int32'],
  ['MinClientVersion', 'Edm.String'],
  ['LastEdited', 'Edm.DateTime'],
  ['LicenseUrl', 'Edm.String'],
  ['LicenseNames', 'Edm.String'],
  ['LicenseReportUrl', 'Edm.String'],
  // Chocolatey's extensions of V2FeedPackage (community repository feed).
  ['PackageSourceUrl', 'Edm.String'],
  ['ProjectSourceUrl', 'Edm.String'],
  ['DocsUrl', 'Edm.String'],
  ['MailingListUrl', 'Edm.String'],
  ['BugTrackerUrl', 'Edm.String'],
];
export const PROPERTY_NAMES: ReadonlySet<string> = new Set(PROPERTIES.map(([n]) => n));
const NOT_NULL = new Set(['Id', 'Version', 'Created', 'DownloadCount', 'IsLatestVersion', 'IsAbsoluteLatestVersion', 'IsPrerelease', 'LastUpdated', 'Published', 'PackageSize', 'RequireLicenseAcceptance', 'VersionDownloadCount']);

/** The OData property bag of one package version (what `$filter`/`$orderby` see). */
export function toProperties(m: NupkgMeta, latest: { isLatest: boolean; isAbsoluteLatest: boolean }): Properties {
  return {
    Id: m.id,
    Version: m.version,
    NormalizedVersion: m.normalizedVersion,
    Authors: m.authors,
    Copyright: m.copyright || null,
    Created: m.published,
    Dependencies: m.dependencies,
    Description: m.description,
    DownloadCount: 0,
    GalleryDetailsUrl: null,
    IconUrl: m.iconUrl || null,
    IsLatestVersion: latest.isLatest,
    IsAbsoluteLatestVersion: latest.isAbsoluteLatest,
    IsPrerelease: m.isPrerelease,
    Language: m.language || null,
    LastUpdated: m.published,
    Published: m.published,
    PackageHash: m.packageHash,
    PackageHashAlgorithm: 'SHA512',
    PackageSize: m.packageSize,
    ProjectUrl: m.projectUrl || null,
    ReportAbuseUrl: null,
    ReleaseNotes: m.releaseNotes || null,
    RequireLicenseAcceptance: m.requireLicenseAcceptance,
    Summary: m.summary || null,
    Tags: m.tags ? ` ${m.tags} ` : null,
    Title: m.title || m.id,
    VersionDownloadCount: 0,
    MinClientVersion: m.minClientVersion || null,
    LastEdited: null,
    LicenseUrl: m.licenseUrl || null,
    LicenseNames: null,
    LicenseReportUrl: null,
    PackageSourceUrl: m.packageSourceUrl || null,
    ProjectSourceUrl: m.projectSourceUrl || null,
    DocsUrl: m.docsUrl || null,
    MailingListUrl: m.mailingListUrl || null,
    BugTrackerUrl: m.bugTrackerUrl || null,
  };
}

function property(name: string, type: EdmType, value: Properties[string]): string {
  if (value === null || value === undefined) return `<d:${name} m:null="true"/>`;
  const typeAttr = type === 'Edm.String' ? '' : ` m:type="${type}"`;
  return `<d:${name}${typeAttr}>${esc(String(value))}</d:${name}>`;
}

function keyPath(p: Properties): string {
  const q = (v: unknown): string => encodeURIComponent(String(v).replace(/'/g, "''"));
  return `Packages(Id='${q(p.Id)}',Version='${q(p.Version)}')`;
}

/** One `<entry>` (without XML declaration or namespaces: `renderFeed` / `renderEntry` add them). */
function entryBody(p: Properties, base: string): string {
  const key = keyPath(p);
  const props = PROPERTIES.map(([name, type]) => property(name, type, p[name] ?? null)).join('');
  const download = `${base}package/${encodeURIComponent(String(p.Id))}/${encodeURIComponent(String(p.NormalizedVersion))}`;
  return (
    `<id>${esc(base + key)}</id>` +
    `<category term="${ENTITY_TYPE}" scheme="http://schemas.microsoft.com/ado/2007/08/dataservices/scheme"/>` +
    `<link rel="edit" title="V2FeedPackage" href="${esc(key)}"/>` +
    `<link rel="self" title="V2FeedPackage" href="${esc(key)}"/>` +
    `<title type="text">${esc(String(p.Id))}</title>` +
    `<summary type="text">${esc(String(p.Summary ?? ''))}</summary>` +
    `<updated>${esc(String(p.LastUpdated))}</updated>` +
    `<author><name>${esc(String(p.Authors ?? ''))}</name></author>` +
    `<link rel="edit-media" title="V2FeedPackage" href="${esc(key)}/$value"/>` +
    `<content type="application/zip" src="${esc(download)}"/>` +
    `<m:properties>${props}</m:properties>`
  );
}

const XML_DECL = '<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n';
const ROOT_NS = `xmlns="${NS.atom}" xmlns:d="${NS.d}" xmlns:m="${NS.m}"`;

export function renderEntry(p: Properties, base: string): string {
  return `${XML_DECL}<entry xml:base="${esc(base)}" ${ROOT_NS}>${entryBody(p, base)}</entry>`;
}

export interface FeedPage {
  /** Collection name for `<id>`/`<title>` (`Packages`, `Search`, `FindPackagesById`). */
  title: string;
  entries: Properties[];
  /** Total matches before paging, for `$inlinecount=allpages`. */
  count?: number;
  /** Absolute URL of the next page. */
  next?: string;
}

export function renderFeed(page: FeedPage, base: string, updated: string): string {
  const count = page.count === undefined ? '' : `<m:count>${page.count}</m:count>`;
  const entries = page.entries.map((p) => `<entry>${entryBody(p, base)}</entry>`).join('');
  const next = page.next ? `<link rel="next" href="${esc(page.next)}"/>` : '';
  return (
    `${XML_DECL}<feed xml:base="${esc(base)}" ${ROOT_NS}>${count}` +
    `<id>${esc(base + page.title)}</id><title type="text">${esc(page.title)}</title><updated>${esc(updated)}</updated>` +
    `<link rel="self" title="${esc(page.title)}" href="${esc(page.title)}"/>${entries}${next}</feed>`
  );
}

export function renderServiceDocument(base: string): string {
  return (
    `${XML_DECL}<service xml:base="${esc(base)}" xmlns="${NS.app}" xmlns:atom="${NS.atom}">` +
    `<workspace><atom:title>Default</atom:title><collection href="Packages"><atom:title>Packages</atom:title></collection></workspace></service>`
  );
}

export function renderMetadata(): string {
  const props = PROPERTIES.map(([n, t]) => `<Property Name="${n}" Type="${t}" Nullable="${NOT_NULL.has(n) ? 'false' : 'true'}"/>`).join('');
  const str = (name: string): string => `<Parameter Name="${name}" Type="Edm.String" FixedLength="false" Unicode="false"/>`;
  const bool = (name: string): string => `<Parameter Name="${name}" Type="Edm.Boolean" Nullable="false"/>`;
  const fn = (name: string, params: string): string =>
    `<FunctionImport Name="${name}" ReturnType="Collection(${ENTITY_TYPE})" EntitySet="Packages" m:HttpMethod="GET">${params}</FunctionImport>`;
  return (
    `${XML_DECL}<edmx:Edmx Version="1.0" xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx">` +
    `<edmx:DataServices xmlns:m="${NS.m}" m:DataServiceVersion="2.0" m:MaxDataServiceVersion="2.0">` +
    `<Schema Namespace="NuGetGallery.OData" xmlns="http://schemas.microsoft.com/ado/2006/04/edm">` +
    `<EntityType Name="V2FeedPackage" m:HasStream="true"><Key><PropertyRef Name="Id"/><PropertyRef Name="Version"/></Key>${props}</EntityType>` +
    `</Schema><Schema Namespace="NuGetGallery" xmlns="http://schemas.microsoft.com/ado/2006/04/edm">` +
    `<EntityContainer Name="V2FeedContext" m:IsDefaultEntityContainer="true"><EntitySet Name="Packages" EntityType="${ENTITY_TYPE}"/>` +
    fn('Search', str('searchTerm') + str('targetFramework') + bool('includePrerelease')) +
    fn('FindPackagesById', str('id')) +
    fn('GetUpdates', str('packageIds') + str('versions') + bool('includePrerelease') + bool('includeAllVersions') + str('targetFrameworks') + str('versionConstraints')) +
    `</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>`
  );
}
