/** Human rendering of a SitePlan (`ferry plan`): aligned, one block per replication. */
import { alignColumns, formatFilter, formatPeer, formatSecretRef, formatWindows } from './render-text.js';
import { ReplicationRole, type PlannedReplication, type SitePlan } from './types.js';

const ROLE_TEXT: Record<ReplicationRole, string> = {
  [ReplicationRole.pullTarget]: 'pull: this site connects to the source and copies what it lacks',
  [ReplicationRole.pushSource]: 'push: this site connects to each target and uploads',
  [ReplicationRole.mirrorSource]: 'mirror (source side): targets connect here; both sides converge',
  [ReplicationRole.mirrorTarget]: 'mirror (target side): this site connects to the source; both sides converge',
  [ReplicationRole.upstreamTarget]: 'this site fetches from an external upstream',
};

const ARROW: Record<ReplicationRole, string> = {
  [ReplicationRole.pullTarget]: '←',
  [ReplicationRole.pushSource]: '→',
  [ReplicationRole.mirrorSource]: '↔',
  [ReplicationRole.mirrorTarget]: '↔',
  [ReplicationRole.upstreamTarget]: '←',
};

function replicationBlock(r: PlannedReplication): string[] {
  const rows: string[][] = [];
  const type = r.feedType === undefined ? '' : ` (${r.feedType})`;
  if (r.upstream !== undefined) {
    rows.push(['upstream', `${r.upstream.name} ${r.upstream.url ?? '(undefined upstream)'}`]);
    if (r.upstream.repositories?.length) rows.push(['repositories', r.upstream.repositories.join(', ')]);
    if (r.upstream.credentials !== undefined) rows.push(['credentials', formatSecretRef(r.upstream.credentials)]);
    rows.push(['feeds', `${r.localFeed} ${ARROW[r.role]} ${r.upstream.name}${type}`]);
  } else {
    rows.push([r.peers.length > 1 ? 'peers' : 'peer', r.peers.length === 0 ? '(none)' : r.peers.map(formatPeer).join(', ')]);
    rows.push(['feeds', `${r.localFeed} ${ARROW[r.role]} ${r.remoteFeed ?? '?'}${type}`]);
  }
  rows.push(['schedule', `${r.schedule}${r.scheduleIsDefault ? ' (default)' : ''}`]);
  if (r.connects) {
    rows.push(['windows', formatWindows(r.windows)]);
    rows.push(['bandwidth', r.bandwidth ?? 'unlimited']);
  }
  rows.push(['filter', formatFilter(r.filter)]);
  rows.push(['deletes', r.deletes]);
  if (r.fallback.length > 0) rows.push(['fallback', r.fallback.map(formatPeer).join(', then ')]);
  // An upstream is reached with its own credentials (above), not a ferry sync token.
  if (r.connects && (r.upstream === undefined || r.token !== undefined)) rows.push(['token', r.token === undefined ? '(none)' : formatSecretRef(r.token)]);
  return [`  ${r.name}  ${ROLE_TEXT[r.role]}${r.suspended ? '  [SUSPENDED]' : ''}`, ...alignColumns(rows, '    ')];
}

/** Renders the plan as aligned text ending with a newline. */
export function renderPlanText(plan: SitePlan): string {
  const labels = Object.entries(plan.labels).map(([k, v]) => `${k}=${v}`).join(', ');
  const out: string[] = [`Site ${plan.site}  ${plan.url ?? '(no url)'}`];
  out.push(...alignColumns([
    ['labels', labels || '(none)'],
    ['anonymous read', plan.anonymousRead ? 'yes' : 'no'],
    ['bandwidth', plan.bandwidth ?? 'unlimited'],
    ['windows', formatWindows(plan.windows)],
  ], '  '));

  out.push('', `Feeds (${plan.feeds.length})`);
  if (plan.feeds.length > 0) {
    const rows = plan.feeds.map((f) => [f.name, f.type, f.retention === undefined ? '-' : Object.entries(f.retention).map(([k, v]) => `${k}=${String(v)}`).join(', ')]);
    out.push(...alignColumns([['NAME', 'TYPE', 'RETENTION'], ...rows], '  '));
  }

  out.push('', `Replications (${plan.replications.length})`);
  for (const r of plan.replications) out.push(...replicationBlock(r));

  out.push('', `Incoming rules (${plan.incoming.length})`);
  if (plan.incoming.length > 0) {
    const rows = plan.incoming.map((r) => [r.name, r.access, r.feeds.join(', '), `sha256:${r.tokenSha256Prefix}…`]);
    out.push(...alignColumns([['NAME', 'ACCESS', 'FEEDS', 'TOKEN'], ...rows], '  '));
  }
  return `${out.join('\n')}\n`;
}
