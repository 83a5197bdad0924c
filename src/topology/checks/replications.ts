/**
 * Reference and shape checks of one Replication: source and target resolve, feed types agree,
 * sites host the feeds they are asked to serve, sites that are connected to have a `url`,
 * fallbacks make sense (DESIGN.md section 2, "Semantics to honour").
 */
import type { Feed, Replication, Site } from '../model.js';
import { IssueCode } from '../codes.js';
import { selectSites } from '../select.js';
import { CheckContext, listNames } from './context.js';

/** What a replication resolved to; shared with the loop and access checks. */
export interface ResolvedReplication {
  r: Replication;
  sourceSite?: Site;
  sourceFeed?: Feed;
  targetFeed?: Feed;
  targetFeedName?: string;
  targets: Site[];
}

export function checkReplication(ctx: CheckContext, r: Replication): ResolvedReplication {
  const { source, target, mode } = r.spec;
  const out: ResolvedReplication = { r, targets: [] };
  checkSourceShape(ctx, r);
  if (source.upstream !== undefined && source.site === undefined) {
    checkUpstreamSource(ctx, r, out);
  } else if (source.site !== undefined) {
    checkSiteSource(ctx, r, out);
  }
  out.targets = resolveTargets(ctx, r);
  if (out.targetFeed && !ctx.isPartial(out.targetFeed)) checkTargetsHostFeed(ctx, r, out.targets.filter((t) => !ctx.isPartial(t)), out.targetFeed);
  if (out.sourceSite && out.sourceFeed && out.targetFeed === out.sourceFeed && out.targets.includes(out.sourceSite)) {
    const site = out.sourceSite.metadata.name;
    const feed = out.sourceFeed.metadata.name;
    if (target.sites?.includes(site)) {
      ctx.error(IssueCode.sourceIsTarget, `site "${site}" is both source and target of feed "${feed}": a replication cannot copy a feed onto itself`, r, ['spec', 'target', 'sites', target.sites.indexOf(site)]);
    } else {
      ctx.warn(IssueCode.sourceIsTarget, `the selector also selects the source site "${site}" for feed "${feed}"; it is skipped as a target of itself`, r, ['spec', 'target', 'siteSelector']);
    }
  }
  if (mode === 'push' || (mode === 'mirror' && out.sourceSite)) {
    // push: the source connects to each target; mirror: the peers connect both ways.
    const why = mode === 'push' ? `push replication "${r.metadata.name}" connects to target` : `mirror replication "${r.metadata.name}" connects both ways with peer`;
    for (const site of out.targets) requireUrl(ctx, r, site, targetPath(r, site), why);
  }
  checkFallback(ctx, r, out);
  return out;
}

function checkSourceShape(ctx: CheckContext, r: Replication): void {
  const s = r.spec.source;
  if (s.site !== undefined && s.upstream !== undefined) {
    ctx.error(IssueCode.invalidSource, 'source names both a site and an upstream: choose one', r, ['spec', 'source'], true);
  } else if (s.site === undefined && s.upstream === undefined) {
    ctx.error(IssueCode.invalidSource, 'source needs `site` and `feed`, or `upstream`', r, ['spec', 'source'], true);
  }
  if (s.site !== undefined && s.feed === undefined) {
    ctx.error(IssueCode.invalidSource, 'source.site needs source.feed: which feed of the site to replicate', r, ['spec', 'source'], true);
  }
  if (s.repositories !== undefined && s.upstream === undefined) {
    ctx.error(IssueCode.invalidSource, 'source.repositories applies to upstream sources only; use filter.include for a site source', r, ['spec', 'source', 'repositories'], true);
  }
  if (s.upstream !== undefined && s.site === undefined && s.feed !== undefined) {
    ctx.error(IssueCode.invalidSource, 'source.feed applies to site sources only; name the feed to fill in target.feed', r, ['spec', 'source', 'feed'], true);
  }
}

function checkUpstreamSource(ctx: CheckContext, r: Replication, out: ResolvedReplication): void {
  const { source, target, mode } = r.spec;
  const name = source.upstream!;
  if (mode === 'push') {
    ctx.error(IssueCode.pushFromUpstream, `mode push cannot start from upstream "${name}": an upstream runs no ferry controller; use mode pull (each target fetches from the upstream)`, r, ['spec', 'mode']);
  } else if (mode === 'mirror') {
    ctx.error(IssueCode.invalidSource, `mode mirror needs two ferry sites; upstream "${name}" is external: use mode pull`, r, ['spec', 'mode']);
  }
  const upstream = ctx.upstreams.get(name);
  if (!upstream && !ctx.known.Upstream.has(name)) {
    ctx.error(IssueCode.danglingUpstreamRef, `upstream "${name}" is not defined${hint(name, ctx.upstreams.keys(), ctx)}`, r, ['spec', 'source', 'upstream']);
  }
  const feedName = target.feed ?? name;
  if (target.feed === undefined && !ctx.known.Feed.has(name)) {
    ctx.error(IssueCode.invalidTarget, `target.feed is missing and no feed is named like upstream "${name}": name the feed the content goes to`, r, ['spec', 'target'], true);
    return;
  }
  out.targetFeedName = feedName;
  out.targetFeed = lookupFeed(ctx, r, feedName, ['spec', 'target', 'feed']);
  if (upstream && out.targetFeed && upstream.spec.type !== out.targetFeed.spec.type) {
    ctx.error(IssueCode.upstreamTypeMismatch, `upstream "${name}" is of type ${upstream.spec.type} but target feed "${feedName}" is of type ${out.targetFeed.spec.type}`, r, ['spec', 'target', target.feed === undefined ? 'sites' : 'feed']);
  }
}

function checkSiteSource(ctx: CheckContext, r: Replication, out: ResolvedReplication): void {
  const { source, target, mode } = r.spec;
  const siteName = source.site!;
  out.sourceSite = ctx.sites.get(siteName);
  if (!out.sourceSite && !ctx.siteKnown(siteName)) {
    ctx.error(IssueCode.danglingSiteRef, `site "${siteName}" is not defined${hint(siteName, ctx.sites.keys(), ctx)}`, r, ['spec', 'source', 'site']);
  }
  if (source.feed !== undefined) out.sourceFeed = lookupFeed(ctx, r, source.feed, ['spec', 'source', 'feed']);
  out.targetFeedName = target.feed ?? source.feed;
  if (target.feed !== undefined) out.targetFeed = lookupFeed(ctx, r, target.feed, ['spec', 'target', 'feed']);
  else out.targetFeed = out.sourceFeed;
  if (out.sourceFeed && out.targetFeed && out.sourceFeed.spec.type !== out.targetFeed.spec.type) {
    ctx.error(IssueCode.feedTypeMismatch, `source feed "${out.sourceFeed.metadata.name}" is of type ${out.sourceFeed.spec.type} but target feed "${out.targetFeed.metadata.name}" is of type ${out.targetFeed.spec.type}: both must be of the same type`, r, ['spec', 'target', 'feed']);
  }
  if (out.sourceSite && out.sourceFeed && !ctx.isPartial(out.sourceFeed) && !ctx.hosts(out.sourceFeed).has(siteName)) {
    ctx.error(IssueCode.sourceFeedNotHosted, `source site "${siteName}" does not host feed "${out.sourceFeed.metadata.name}" (${ctx.where(out.sourceFeed)}): add the site to the feed's sites or siteSelector`, r, ['spec', 'source', 'site']);
  }
  if (out.sourceSite && (mode === 'pull' || mode === 'mirror')) {
    requireUrl(ctx, r, out.sourceSite, ['spec', 'source', 'site'], `${mode} replication "${r.metadata.name}" connects to source`);
  }
}

function lookupFeed(ctx: CheckContext, r: Replication, name: string, path: string[]): Feed | undefined {
  const feed = ctx.feeds.get(name);
  if (!feed && !ctx.known.Feed.has(name)) {
    ctx.error(IssueCode.danglingFeedRef, `feed "${name}" is not defined${hint(name, ctx.feeds.keys(), ctx)}`, r, path);
  }
  return feed;
}

function resolveTargets(ctx: CheckContext, r: Replication): Site[] {
  const { target } = r.spec;
  let unresolved = 0;
  (target.sites ?? []).forEach((name, i) => {
    if (ctx.sites.has(name)) return;
    unresolved++;
    if (!ctx.siteKnown(name)) ctx.error(IssueCode.danglingSiteRef, `site "${name}" is not defined${hint(name, ctx.sites.keys(), ctx)}`, r, ['spec', 'target', 'sites', i]);
  });
  const targets = selectSites(ctx.topology, target);
  if (targets.length === 0 && unresolved === 0 && !ctx.incomplete.has('Site')) {
    const path = target.siteSelector ? ['spec', 'target', 'siteSelector'] : ['spec', 'target'];
    ctx.error(IssueCode.noTargetSites, 'target resolves to no site: check the selector\'s labels against the sites\' metadata.labels', r, path, !target.siteSelector);
  }
  return targets;
}

function targetPath(r: Replication, site: Site): Array<string | number> {
  const i = r.spec.target.sites?.indexOf(site.metadata.name) ?? -1;
  return i >= 0 ? ['spec', 'target', 'sites', i] : ['spec', 'target', 'siteSelector'];
}

function checkTargetsHostFeed(ctx: CheckContext, r: Replication, targets: Site[], feed: Feed): void {
  const hosts = ctx.hosts(feed);
  const viaSelector: string[] = [];
  for (const site of targets) {
    if (hosts.has(site.metadata.name)) continue;
    const path = targetPath(r, site);
    if (path[2] === 'sites') {
      ctx.error(IssueCode.targetFeedNotHosted, `target site "${site.metadata.name}" does not host feed "${feed.metadata.name}" (${ctx.where(feed)}): add it to the feed's sites or siteSelector`, r, path);
    } else {
      viaSelector.push(site.metadata.name);
    }
  }
  if (viaSelector.length > 0) {
    ctx.error(IssueCode.targetFeedNotHosted, `target sites ${listNames(viaSelector)} do not host feed "${feed.metadata.name}" (${ctx.where(feed)}): add them to the feed's sites or siteSelector`, r, ['spec', 'target', 'siteSelector']);
  }
}

function requireUrl(ctx: CheckContext, r: Replication, site: Site, path: Array<string | number>, why: string): void {
  if (site.spec.url !== undefined || ctx.isPartial(site)) return; // a salvaged site may have lost an invalid url
  ctx.error(IssueCode.siteUrlMissing, `${why} "${site.metadata.name}", which has no spec.url (${ctx.where(site)}): add the URL its controller is reachable at`, r, path);
}

function checkFallback(ctx: CheckContext, r: Replication, out: ResolvedReplication): void {
  const fallback = r.spec.fallback;
  if (!fallback || fallback.length === 0) return;
  if (r.spec.mode !== 'pull') {
    ctx.warn(IssueCode.fallbackIgnored, `fallback is used by pull replications only; mode ${r.spec.mode} ignores it`, r, ['spec', 'fallback'], true);
  }
  fallback.forEach((name, i) => {
    const path = ['spec', 'fallback', i];
    const site = ctx.sites.get(name);
    if (!site) {
      if (!ctx.siteKnown(name)) ctx.error(IssueCode.danglingSiteRef, `site "${name}" is not defined${hint(name, ctx.sites.keys(), ctx)}`, r, path);
      return;
    }
    if (name === r.spec.source.site) {
      ctx.warn(IssueCode.fallbackIsSource, `fallback "${name}" is the source itself: it adds nothing`, r, path);
      return;
    }
    if (out.sourceFeed && !ctx.isPartial(out.sourceFeed) && !ctx.hosts(out.sourceFeed).has(name)) {
      ctx.error(IssueCode.fallbackFeedNotHosted, `fallback site "${name}" does not host source feed "${out.sourceFeed.metadata.name}"`, r, path);
    }
    if (r.spec.mode === 'pull') requireUrl(ctx, r, site, path, `pull replication "${r.metadata.name}" falls back to`);
  });
}

/** "; did you mean "x"?" for a close name (prefix or one edit), else "". */
/**
 * A "did you mean" for the first dangling references of a load only (ctx.hintsLeft): each
 * scans every name, and a broken 5,000-site topology must not cost 5,000 × 5,000 comparisons.
 */
function hint(name: string, names: Iterable<string>, ctx: CheckContext): string {
  if (ctx.hintsLeft-- <= 0) return '';
  for (const n of names) {
    if (Math.abs(n.length - name.length) <= 1 && oneEdit(n, name)) return `; did you mean "${n}"?`;
  }
  return '';
}

function oneEdit(a: string, b: string): boolean {
  if (a === b) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const restA = a.slice(i);
  const restB = b.slice(i);
  return restA.slice(1) === restB.slice(1) || restA.slice(1) === restB || restA === restB.slice(1);
}
