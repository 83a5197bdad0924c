/**
 * Incoming coverage (warnings: the token may come in a later change): a pull needs a `read`
 * rule on the source (and on each fallback) covering the feed, a push a `write` rule on each
 * target, a mirror both on the source (its targets connect to it and converge both ways).
 */
import picomatch from 'picomatch';
import type { Access, Site } from '../model.js';
import { IssueCode } from '../codes.js';
import type { CheckContext } from './context.js';
import { globProblem } from './values.js';
import type { ResolvedReplication } from './replications.js';

const matchers = new Map<string, (s: string) => boolean>();

function matcher(glob: string): (s: string) => boolean {
  let m = matchers.get(glob);
  if (!m) {
    m = globProblem(glob) ? () => false : picomatch(glob);
    matchers.set(glob, m);
  }
  return m;
}

/** Whether one of the site's incoming rules grants `access` to the feed. */
export function incomingCovers(site: Site, access: Access, feed: string): boolean {
  return (site.spec.incoming ?? []).some((rule) => rule.access === access && rule.feeds.some((g) => matcher(g)(feed)));
}

export function checkAccess(ctx: CheckContext, x: ResolvedReplication): void {
  const { r, sourceSite, sourceFeed, targetFeedName } = x;
  if (!sourceSite || !sourceFeed || ctx.isPartial(sourceSite)) return;
  const feed = sourceFeed.metadata.name;
  const mode = r.spec.mode;
  if ((mode === 'pull' || mode === 'mirror') && !incomingCovers(sourceSite, 'read', feed)) {
    ctx.warn(IssueCode.incomingReadMissing, `source site "${sourceSite.metadata.name}" has no incoming rule with access read covering feed "${feed}": its targets will be refused until one is added`, r, ['spec', 'source', 'site']);
  }
  if (mode === 'pull') {
    (r.spec.fallback ?? []).forEach((name, i) => {
      const site = ctx.sites.get(name);
      if (!site || site === sourceSite || ctx.isPartial(site) || incomingCovers(site, 'read', feed)) return;
      ctx.warn(IssueCode.incomingReadMissing, `fallback site "${name}" has no incoming rule with access read covering feed "${feed}": the fallback will be refused`, r, ['spec', 'fallback', i]);
    });
  }
  if (mode === 'mirror' && !incomingCovers(sourceSite, 'write', feed)) {
    ctx.warn(IssueCode.incomingWriteMissing, `source site "${sourceSite.metadata.name}" has no incoming rule with access write covering feed "${feed}": mirror targets cannot send their changes`, r, ['spec', 'source', 'site']);
  }
  if (mode === 'push' && targetFeedName) {
    const missing = x.targets.filter((t) => !ctx.isPartial(t) && !incomingCovers(t, 'write', targetFeedName)).map((t) => t.metadata.name);
    if (missing.length > 0) {
      const i = r.spec.target.sites?.indexOf(missing[0]!) ?? -1;
      const path = i >= 0 ? ['spec', 'target', 'sites', i] : ['spec', 'target', 'siteSelector'];
      const names = missing.slice(0, 5).join(', ') + (missing.length > 5 ? ` and ${missing.length - 5} more` : '');
      ctx.warn(IssueCode.incomingWriteMissing, `target site(s) ${names} have no incoming rule with access write covering feed "${targetFeedName}": the push will be refused until one is added`, r, path);
    }
  }
}
