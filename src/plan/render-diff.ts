/**
 * Markdown rendering of a TopologyDiff, written to be posted as a pull-request / merge-request
 * comment: a summary table, then one section per changed site, then HEAD's validation problems.
 * Stays under GitHub's 65,536-character comment limit by eliding whole site sections.
 */
import type { ValidationIssue } from '../topology/model.js';
import { formatValue } from './render-text.js';
import { replicationKey } from './diff.js';
import type { EntryDiff, FieldChange, PlannedFeed, PlannedIncomingRule, PlannedReplication, SiteDiff, TopologyDiff } from './types.js';

export interface DiffRenderContext {
  base: { revision: string; commit?: string };
  head: { revision: string; commit?: string };
  /** HEAD's validation issues (errors and warnings), listed at the end. */
  headIssues?: readonly ValidationIssue[];
  /** Prefix for issue file paths (the topology path inside the repository). */
  filePrefix?: string;
  /** Character budget for the whole comment. */
  maxChars?: number;
}

/** Inline code that survives backticks in the value; `<` escaped so no HTML reaches the comment. */
export function code(text: string): string {
  const safe = text.replace(/</g, '&lt;').replace(/\r?\n/g, ' ');
  const fence = safe.includes('`') ? '``' : '`';
  return `${fence}${fence.length > 1 ? ' ' : ''}${safe}${fence.length > 1 ? ' ' : ''}${fence}`;
}

function counts(d: EntryDiff<unknown>): string {
  const parts: string[] = [];
  if (d.added.length) parts.push(`+${d.added.length}`);
  if (d.removed.length) parts.push(`−${d.removed.length}`);
  if (d.changed.length) parts.push(`~${d.changed.length}`);
  return parts.length ? parts.join(' ') : '—';
}

function changeLine(c: FieldChange): string {
  return `${code(c.field)} ${code(formatValue(c.before))} → ${code(formatValue(c.after))}`;
}

function changedLines(d: EntryDiff<unknown>): string[] {
  return d.changed.map((c) => `- changed ${code(c.key)}: ${c.changes.map(changeLine).join('; ')}`);
}

function feedText(f: PlannedFeed): string {
  return `${code(f.name)} (${f.type})`;
}

function replicationText(r: PlannedReplication): string {
  const other = r.upstream !== undefined ? `upstream ${code(r.upstream.name)}` : r.peers.map((p) => code(p.site)).join(', ') || 'no peer';
  const feeds = `${code(r.localFeed)} ↔ ${code(r.upstream?.name ?? r.remoteFeed ?? '?')}`;
  return `${code(replicationKey(r))}: ${r.mode} with ${other}, feeds ${feeds}, schedule ${code(r.schedule)}`;
}

function incomingText(r: PlannedIncomingRule): string {
  return `${code(r.name)} (${r.access}, feeds ${r.feeds.map(code).join(', ')}, token sha256:${r.tokenSha256Prefix}…)`;
}

function entrySection<T>(title: string, d: EntryDiff<T>, text: (e: T) => string): string[] {
  const lines = [...d.added.map((e) => `- added ${text(e)}`), ...d.removed.map((e) => `- removed ${text(e)}`), ...changedLines(d as EntryDiff<unknown>)];
  return lines.length === 0 ? [] : [`**${title}**`, '', ...lines, ''];
}

/** The body of a site's section (everything but its heading); equal bodies are grouped. */
function siteBody(s: SiteDiff): string {
  const lines: string[] = [];
  if (s.settings.length > 0) lines.push('**Site settings**', '', ...s.settings.map((c) => `- ${changeLine(c)}`), '');
  lines.push(...entrySection('Feeds', s.feeds, feedText));
  lines.push(...entrySection('Replications', s.replications, replicationText));
  lines.push(...entrySection('Incoming rules', s.incoming, incomingText));
  return lines.join('\n');
}

interface SiteGroup {
  sites: SiteDiff[];
  body: string;
}

/**
 * Sites whose change reads the same (same status, same lines) share one table row and one
 * section: a selector change that touches 500 stores is one entry, not 500.
 */
function groupSites(sites: readonly SiteDiff[]): SiteGroup[] {
  const groups = new Map<string, SiteGroup>();
  for (const s of sites) {
    const body = siteBody(s);
    const key = `${s.status}\n${body}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { sites: [s], body });
    else group.sites.push(s);
  }
  return [...groups.values()];
}

function siteNamesText(sites: readonly SiteDiff[], max: number): string {
  const names = sites.slice(0, max).map((s) => code(s.site)).join(', ');
  return sites.length > max ? `${names} and ${sites.length - max} more` : names;
}

function revisionText(r: { revision: string; commit?: string }): string {
  return r.commit === undefined ? code(r.revision) : `${code(r.revision)} (${code(r.commit.slice(0, 12))})`;
}

const MAX_ISSUE_LINES = 100;

function issuesSection(issues: readonly ValidationIssue[], prefix: string): string {
  const errors = issues.filter((i) => i.severity === 'error').length;
  const lines = [`#### Validation problems at HEAD (${errors} errors, ${issues.length - errors} warnings)`, ''];
  if (issues.length > MAX_ISSUE_LINES) lines.push(`_The first ${MAX_ISSUE_LINES} of ${issues.length}; run \`ferry validate\` for all._`, '');
  for (const i of issues.slice(0, MAX_ISSUE_LINES)) {
    const file = prefix === '' ? i.file : `${prefix}/${i.file}`;
    lines.push(`- ${code(`${file}:${i.line}:${i.column}`)} **${i.severity}** ${code(i.code)} ${i.message.replace(/</g, '&lt;').replace(/\r?\n/g, ' ')}`);
  }
  return lines.join('\n');
}

/** Renders the diff as a Markdown comment ending with a newline. */
export function renderDiffMarkdown(diff: TopologyDiff, ctx: DiffRenderContext): string {
  const budget = ctx.maxChars ?? 60_000;
  const groups = groupSites(diff.sites);
  const out: string[] = [`### ferry diff ${revisionText(ctx.base)} → ${revisionText(ctx.head)}`, ''];
  if (!diff.changed) {
    out.push('No site changes: every controller keeps its current plan.', '');
  } else {
    const changed = diff.sites.length - diff.sitesAdded.length - diff.sitesRemoved.length;
    out.push(`${diff.sites.length} site(s) change: ${diff.sitesAdded.length} added, ${diff.sitesRemoved.length} removed, ${changed} changed.`, '');
    out.push('| site | status | feeds | replications | incoming | settings |', '|---|---|---|---|---|---|');
    for (const { sites: [s, ...rest] } of groups) {
      if (s === undefined) continue;
      out.push(`| ${siteNamesText([s, ...rest], 5)} | ${s.status} | ${counts(s.feeds)} | ${counts(s.replications)} | ${counts(s.incoming)} | ${s.settings.length || '—'} |`);
    }
    out.push('');
  }
  const issues = ctx.headIssues ?? [];
  const tail = issues.length > 0 ? issuesSection(issues, ctx.filePrefix ?? '') : '';
  let used = out.join('\n').length + tail.length;
  for (const [i, group] of groups.entries()) {
    const section = `#### ${siteNamesText(group.sites, 20)} (${group.sites[0]?.status ?? ''})\n\n${group.body}`;
    if (used + section.length > budget) {
      const left = groups.slice(i).reduce((n, g) => n + g.sites.length, 0);
      out.push(`_Sections of ${left} more site(s) left out to fit a comment; run \`ferry diff --format json\` for all._`, '');
      break;
    }
    out.push(section);
    used += section.length;
  }
  if (tail !== '') out.push(tail, '');
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}
