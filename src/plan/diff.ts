/**
 * Differences between two plans of a site, and between two topologies for every site: what a
 * pull request will change at each controller. Output is plain, frozen, deterministically ordered
 * data (sites, entries and fields sorted by name), so two runs print byte-identical comments.
 */
import type { Topology } from '../topology/model.js';
import { compareStrings, deepFreeze } from './data.js';
import { planForSite, siteNames } from './site-plan.js';
import {
  SiteChange,
  type ChangedEntry,
  type EntryDiff,
  type FieldChange,
  type PlannedReplication,
  type SiteDiff,
  type SitePlan,
  type TopologyDiff,
} from './types.js';

/** Fields that only restate another field (`scheduleIsDefault` follows `schedule`). */
const IGNORED_FIELDS = new Set(['scheduleIsDefault']);

/** Flattens objects into dotted leaves; arrays and primitives are leaves (compared as a whole). */
function flatten(value: unknown, prefix: string, out: Map<string, unknown>): Map<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (prefix === '' && IGNORED_FIELDS.has(key)) continue;
      flatten(child, prefix === '' ? key : `${prefix}.${key}`, out);
    }
  } else if (value !== undefined) {
    out.set(prefix, value);
  }
  return out;
}

/** Field-level changes between two values, sorted by field. */
export function fieldChanges(before: unknown, after: unknown): FieldChange[] {
  const a = flatten(before, '', new Map());
  const b = flatten(after, '', new Map());
  const fields = [...new Set([...a.keys(), ...b.keys()])].sort(compareStrings);
  const changes: FieldChange[] = [];
  for (const field of fields) {
    const x = a.get(field);
    const y = b.get(field);
    if (JSON.stringify(x) === JSON.stringify(y)) continue;
    const change: FieldChange = { field };
    if (x !== undefined) change.before = x;
    if (y !== undefined) change.after = y;
    changes.push(change);
  }
  return changes;
}

function diffEntries<T>(base: readonly T[], head: readonly T[], keyOf: (entry: T) => string): EntryDiff<T> {
  const before = new Map(base.map((e) => [keyOf(e), e]));
  const after = new Map(head.map((e) => [keyOf(e), e]));
  const byKey = (x: T, y: T): number => compareStrings(keyOf(x), keyOf(y));
  const added = head.filter((e) => !before.has(keyOf(e))).sort(byKey);
  const removed = base.filter((e) => !after.has(keyOf(e))).sort(byKey);
  const changed: ChangedEntry[] = [];
  for (const [key, entry] of [...after.entries()].sort(([x], [y]) => compareStrings(x, y))) {
    const old = before.get(key);
    if (old === undefined) continue;
    const changes = fieldChanges(old, entry);
    if (changes.length > 0) changed.push({ key, changes });
  }
  return { added, removed, changed };
}

/** The key of a replication entry in a plan: `name (role)`. */
export function replicationKey(r: Pick<PlannedReplication, 'name' | 'role'>): string {
  return `${r.name} (${r.role})`;
}

function settingsOf(plan: SitePlan | undefined): Record<string, unknown> {
  if (plan === undefined) return {};
  return { url: plan.url, labels: plan.labels, anonymousRead: plan.anonymousRead, bandwidth: plan.bandwidth, windows: plan.windows };
}

function isEmpty(d: EntryDiff<unknown>): boolean {
  return d.added.length === 0 && d.removed.length === 0 && d.changed.length === 0;
}

/**
 * What changes for one site between two plans; `undefined` plans mean the site does not exist on
 * that side. Returns `undefined` when nothing changes.
 */
export function diffPlans(base: SitePlan | undefined, head: SitePlan | undefined): SiteDiff | undefined {
  const site = head?.site ?? base?.site;
  if (site === undefined) return undefined;
  const status = base === undefined ? SiteChange.added : head === undefined ? SiteChange.removed : SiteChange.changed;
  const diff: SiteDiff = {
    site,
    status,
    settings: fieldChanges(settingsOf(base), settingsOf(head)),
    feeds: diffEntries(base?.feeds ?? [], head?.feeds ?? [], (f) => f.name),
    replications: diffEntries(base?.replications ?? [], head?.replications ?? [], replicationKey),
    incoming: diffEntries(base?.incoming ?? [], head?.incoming ?? [], (r) => r.name),
  };
  const unchanged = status === SiteChange.changed && diff.settings.length === 0 && isEmpty(diff.feeds) && isEmpty(diff.replications) && isEmpty(diff.incoming);
  return unchanged ? undefined : deepFreeze(diff);
}

/** Per-site differences between two topologies (every site defined on either side). */
export function diffTopologies(base: Topology, head: Topology): TopologyDiff {
  const baseSites = new Set(siteNames(base));
  const headSites = new Set(siteNames(head));
  const all = [...new Set([...baseSites, ...headSites])].sort(compareStrings);
  const sites: SiteDiff[] = [];
  for (const name of all) {
    const d = diffPlans(baseSites.has(name) ? planForSite(base, name) : undefined, headSites.has(name) ? planForSite(head, name) : undefined);
    if (d !== undefined) sites.push(d);
  }
  return deepFreeze({
    changed: sites.length > 0,
    sitesAdded: all.filter((s) => !baseSites.has(s)),
    sitesRemoved: all.filter((s) => !headSites.has(s)),
    sites,
  });
}
