/**
 * Semantic checks beyond the schema (DESIGN.md section 2, last bullet). Input: the topology of
 * schema-valid resources plus the names seen in all documents (so a resource that failed the
 * schema does not also produce "dangling reference" noise). All lookups go through maps.
 */
import type { Kind, Site, Topology, ValidationIssue } from '../model.js';
import { IssueCode } from '../codes.js';
import type { Entry, KnownNames } from '../resources.js';
import { CheckContext } from './context.js';
import { selectSites } from '../select.js';
import { checkAccess } from './access.js';
import { checkLoops } from './loops.js';
import { checkReplication, type ResolvedReplication } from './replications.js';
import { checkUpstreams } from './upstreams.js';
import { checkDurations, checkGlobs, checkSchedule, checkSelector, checkSemver, checkSiteValues } from './values.js';

export function semanticIssues(topology: Topology, entries: Entry[], known: KnownNames, incomplete: ReadonlySet<Kind> = new Set()): ValidationIssue[] {
  const ctx = new CheckContext(topology, entries, known, incomplete);
  const tokenOwners = new Map<string, { site: Site; index: number }>();
  const mayShare = tokenSharingPairs(topology);
  for (const site of topology.sites) checkSiteValues(ctx, site, tokenOwners, (a, b) => mayShare.has(`${a}\n${b}`));
  checkFeeds(ctx);
  const usedUpstreams = new Set<string>();
  const resolved: ResolvedReplication[] = [];
  for (const r of topology.replications) {
    const x = checkReplication(ctx, r);
    resolved.push(x);
    if (r.spec.source.upstream) usedUpstreams.add(r.spec.source.upstream);
    checkSchedule(ctx, r, r.spec.schedule);
    checkSelector(ctx, r, r.spec.target.siteSelector, ['spec', 'target', 'siteSelector']);
    checkGlobs(ctx, r, r.spec.filter?.include, ['spec', 'filter', 'include']);
    checkGlobs(ctx, r, r.spec.filter?.exclude, ['spec', 'filter', 'exclude']);
    checkGlobs(ctx, r, r.spec.filter?.tags, ['spec', 'filter', 'tags']);
    checkGlobs(ctx, r, r.spec.source.repositories, ['spec', 'source', 'repositories']);
    checkSemver(ctx, r, r.spec.filter?.semver);
    checkAccess(ctx, x);
  }
  checkLoops(ctx, resolved);
  checkUpstreams(ctx);
  for (const u of topology.upstreams) {
    if (!usedUpstreams.has(u.metadata.name) && !ctx.incomplete.has('Replication')) {
      ctx.warn(IssueCode.unusedUpstream, `upstream "${u.metadata.name}" is not the source of any replication`, u, ['metadata', 'name']);
    }
  }
  return ctx.issues;
}

/**
 * Pairs of sites that may accept the same token: a pull replication presents ONE token to its
 * source and, when the source is down, to each of its fallbacks, so those sites must all accept
 * it. Any other reuse of a token hash is worth a warning (DUPLICATE_TOKEN_HASH).
 */
function tokenSharingPairs(topology: Topology): Set<string> {
  const pairs = new Set<string>();
  for (const r of topology.replications) {
    const group = [r.spec.source.site, ...(r.spec.fallback ?? [])].filter((s): s is string => typeof s === 'string');
    for (const a of group) for (const b of group) if (a !== b) pairs.add(`${a}\n${b}`);
  }
  return pairs;
}

function checkFeeds(ctx: CheckContext): void {
  for (const feed of ctx.topology.feeds) {
    const { sites, siteSelector } = feed.spec;
    (sites ?? []).forEach((name, i) => {
      if (!ctx.siteKnown(name)) ctx.error(IssueCode.danglingSiteRef, `site "${name}" is not defined`, feed, ['spec', 'sites', i]);
    });
    checkSelector(ctx, feed, siteSelector, ['spec', 'siteSelector']);
    checkDurations(ctx, feed, feed.spec.retention?.maxAge, ['spec', 'retention', 'maxAge']);
    if (!siteSelector && (sites ?? []).length === 0) {
      ctx.warn(IssueCode.feedNotHosted, `feed "${feed.metadata.name}" names no site: add spec.sites or spec.siteSelector`, feed, ['spec'], true);
      continue;
    }
    if (siteSelector && !ctx.incomplete.has('Site') && selectSites(ctx.topology, { siteSelector }).length === 0) {
      ctx.warn(IssueCode.selectorMatchesNothing, `siteSelector of feed "${feed.metadata.name}" matches no site`, feed, ['spec', 'siteSelector'], true);
    }
  }
}
