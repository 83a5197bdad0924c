/**
 * Answers the NuGet v2 collection queries (`Packages`, `Search`, `FindPackagesById`,
 * `GetUpdates`) from the feed state: function parameters, `semVerLevel`, then `$filter`, `$orderby`,
 * `$skip`/`$top`, server-side paging with `<link rel="next">`, `$inlinecount` and `/$count`.
 *
 * Contract: a page holds at most `pageSize` (default PAGE_SIZE) entries; when more match than a page holds (and the
 * client's `$top` asks for more), the feed carries a `next` link that continues exactly where the
 * page ended with the same query. Parameter errors throw FEED_INVALID_REQUEST.
 */
import { feedError, FeedErrorCode } from '../artifact/index.js';
import { isSemVer2, type ChocolateyFeedState } from './feed-state.js';
import { compileFilter, compileOrderBy, type Properties } from './filter.js';
import { PROPERTY_NAMES, renderFeed } from './odata.js';
import { compareVersions, parseVersion } from './version.js';

export type Collection = 'Packages' | 'Search' | 'FindPackagesById' | 'GetUpdates';
export type Answer = { type: 'count'; count: number } | { type: 'feed'; xml: string };

export const PAGE_SIZE = 100;
const MAX_IDS = 500;

/** An OData string literal parameter (`'x'` → `x`, `''` inside → `'`); bare values as they are. */
export function literal(value: string | undefined): string {
  if (value === undefined) return '';
  const v = value.trim();
  return v.length >= 2 && v.startsWith("'") && v.endsWith("'") ? v.slice(1, -1).replace(/''/g, "'") : v;
}

function int(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,9}$/.test(value)) throw feedError(FeedErrorCode.invalidRequest, `invalid ${name}`, { parameter: name });
  return Number(value);
}

/** Lower-cased id, title, description and tags of an entry, computed once per property bag. */
const haystacks = new WeakMap<Properties, string>();

function searchMatches(p: Properties, terms: string[]): boolean {
  if (terms.length === 0) return true;
  let hay = haystacks.get(p);
  if (hay === undefined) {
    hay = [p.Id, p.Title, p.Description, p.Tags].map((v) => String(v ?? '').toLowerCase()).join('\n');
    haystacks.set(p, hay);
  }
  return terms.some((t) => hay.includes(t));
}

function getUpdates(state: ChocolateyFeedState, q: Record<string, string>, semVer2: boolean): Properties[] {
  const ids = literal(q.packageIds).split('|').slice(0, MAX_IDS);
  const versions = literal(q.versions).split('|');
  const pre = literal(q.includePrerelease).toLowerCase() === 'true';
  const all = literal(q.includeAllVersions).toLowerCase() === 'true';
  return ids.flatMap((id, i) => {
    const current = parseVersion(versions[i] ?? '');
    if (!id || !current) return [];
    const newer = state.versions(id).filter((e) => (pre || !e.version.prerelease) && compareVersions(e.version, current) > 0);
    const picked = all ? newer : newer.slice(-1);
    return picked.map((e) => (semVer2 ? e.props : e.legacyProps));
  });
}

function base(state: ChocolateyFeedState, collection: Collection, q: Record<string, string>, semVer2: boolean): Properties[] {
  switch (collection) {
    case 'Packages':
      return state.all(semVer2);
    case 'FindPackagesById':
      return state.versions(literal(q.id)).map((e) => (semVer2 ? e.props : e.legacyProps));
    case 'GetUpdates':
      return getUpdates(state, q, semVer2);
    case 'Search': {
      const pre = literal(q.includePrerelease).toLowerCase() === 'true';
      const terms = literal(q.searchTerm).toLowerCase().split(/\s+/).filter(Boolean);
      return state.all(semVer2).filter((p) => (pre || p.IsPrerelease !== true) && searchMatches(p, terms));
    }
  }
}

/** The answer to one collection request (see the module contract). */
export function answerCollection(state: ChocolateyFeedState, collection: Collection, q: Record<string, string>, baseUrl: string, countOnly: boolean, pageSize = PAGE_SIZE): Answer {
  const predicate = compileFilter(q.$filter, PROPERTY_NAMES);
  const order = compileOrderBy(q.$orderby, PROPERTY_NAMES);
  const skip = int(q.$skip, '$skip') ?? 0;
  const top = int(q.$top, '$top');
  // SemVer 2.0.0 versions are hidden from clients that do not send `semVerLevel=2.0.0`, as the
  // NuGet Gallery does: NuGet < 4.3 and Chocolatey cannot parse them and abort the whole listing
  // ("'1.0.0-beta.1' is not a valid version string"); their latest flags are computed without them.
  const semVer2 = /^[2-9]/.test(literal(q.semVerLevel));
  let matches = base(state, collection, q, semVer2).filter((p) => (semVer2 || !isSemVer2(String(p.Version))) && predicate(p));
  if (order) matches = [...matches].sort(order);
  if (countOnly) return { type: 'count', count: Math.max(0, Math.min(matches.length - skip, top ?? Infinity)) };
  const size = Math.min(top ?? pageSize, pageSize);
  const entries = matches.slice(skip, skip + size);
  let next: string | undefined;
  const wantsMore = top === undefined || top > size;
  if (wantsMore && skip + size < matches.length) {
    const params = new URLSearchParams(q);
    params.set('$skip', String(skip + size));
    if (top !== undefined) params.set('$top', String(top - size));
    next = `${baseUrl}${collection}()?${params.toString().replace(/\+/g, '%20')}`;
  }
  const count = (q.$inlinecount ?? '').toLowerCase() === 'allpages' ? matches.length : undefined;
  const updated = new Date().toISOString();
  return { type: 'feed', xml: renderFeed({ title: collection, entries, ...(count !== undefined ? { count } : {}), ...(next ? { next } : {}) }, baseUrl, updated) };
}
