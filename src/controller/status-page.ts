/**
 * The site's status page (`GET /`): the same facts as `GET /api/v1/status`, as one
 * self-contained HTML page for an operator's browser. Every value is HTML-escaped; the page
 * loads nothing from elsewhere and refreshes itself every 15 seconds.
 */
import type { ConditionRecord, RunRecord } from '../state/state-db.js';

export interface StatusPageData {
  site: string;
  appliedCommit: string | null;
  rejectedCommit: string | null;
  conditions: ConditionRecord[];
  feeds: Array<{ name: string; type: string; retired: boolean }>;
  replications: Array<{ name: string; mode: string; localFeed: string; remoteFeed: string; running: boolean; lastRun: RunRecord | null; conditions: ConditionRecord[] }>;
}

const escape = (value: unknown): string =>
  String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

function badge(status: string, type: string): string {
  const bad = (type === 'Ready' && status === 'False') || (type !== 'Ready' && type !== 'Reconciling' && status === 'True');
  const color = bad ? '#b42318' : status === 'True' ? '#067647' : '#6c737f';
  return `<span style="color:${color};font-weight:600">${escape(type)}=${escape(status)}</span>`;
}

export function renderStatusPage(data: StatusPageData): string {
  const siteConditions = data.conditions.filter((c) => c.kind === 'Site' || c.kind === 'Feed');
  const rows = data.replications.map((r) => {
    const last = r.lastRun ? `${escape(r.lastRun.result)} ${escape(r.lastRun.endedAt ?? '')} · ${r.lastRun.items} items · ${r.lastRun.bytes} bytes${r.lastRun.peer ? ` · from ${escape(r.lastRun.peer)}` : ''}` : 'never ran';
    const conditions = r.conditions.map((c) => `${badge(c.status, c.type)} <small>${escape(c.reason)}: ${escape(c.message)}</small>`).join('<br>');
    return `<tr><td><b>${escape(r.name)}</b>${r.running ? ' (running)' : ''}</td><td>${escape(r.mode)}</td><td>${escape(r.remoteFeed)} → ${escape(r.localFeed)}</td><td>${last}</td><td>${conditions}</td></tr>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="15">
<title>ferry · ${escape(data.site)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem;color:#111}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}pre{white-space:pre-wrap;margin:0}</style>
</head><body>
<h1>ferry · site ${escape(data.site)}</h1>
<p>applied commit <code>${escape(data.appliedCommit?.slice(0, 12) ?? 'none')}</code>${data.rejectedCommit && data.rejectedCommit !== data.appliedCommit ? ` · rejected commit <code>${escape(data.rejectedCommit.slice(0, 12))}</code>` : ''}</p>
<h2>Conditions</h2>
<table><tr><th>resource</th><th>condition</th><th>message</th></tr>
${siteConditions.map((c) => `<tr><td>${escape(c.kind)}/${escape(c.name)}</td><td>${badge(c.status, c.type)} ${escape(c.reason)}</td><td><pre>${escape(c.message)}</pre></td></tr>`).join('\n')}
</table>
<h2>Feeds</h2>
<table><tr><th>feed</th><th>type</th><th>state</th></tr>
${data.feeds.map((f) => `<tr><td>${escape(f.name)}</td><td>${escape(f.type)}</td><td>${f.retired ? 'retired' : 'serving'}</td></tr>`).join('\n')}
</table>
<h2>Replications</h2>
<table><tr><th>name</th><th>mode</th><th>feeds</th><th>last run</th><th>conditions</th></tr>
${rows.join('\n')}
</table>
</body></html>
`;
}
