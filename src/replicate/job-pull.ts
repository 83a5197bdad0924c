/**
 * Pull from a ferry site: read the peer's change feed since this site's cursor, copy what
 * changed (filtered, feed name mapped), propagate deletes of content this replication created
 * when asked, and advance the cursor only after the content of a page is stored.
 *
 * Cost contract: when nothing changed, a run makes exactly one request to the peer.
 */
import type { Change } from '../store/store.js';
import { compileFilter } from './filter.js';
import { fetchChanges } from './peer-api.js';
import { checkDeleteGuard } from './delete-guard.js';
import { copyTag, remoteTarget } from './transfer.js';
import { originOf, type JobContext, type PeerSite } from './types.js';
import { peerIdentity } from './token.js';

const PAGE_SIZE = 500;

/** The final state of each (repository, tag) within a page of changes. */
export interface TagChange {
  repository: string;
  tag: string;
  /** What the tag points at now; undefined when it was removed. */
  digest?: string;
  /** For a removal: the digest the tag pointed at before. */
  removedDigest?: string;
  /** Time of the last change (the peer's clock). */
  at: string;
  origin: string;
}

/** Collapses a page of changes into the last word on every tag (later changes win). */
export function collapseChanges(changes: readonly Change[]): TagChange[] {
  const byTag = new Map<string, TagChange>();
  const removal = (c: Change, tag: string): TagChange => ({ repository: c.repository, tag, removedDigest: c.digest, at: c.at, origin: c.origin });
  for (const c of changes) {
    if (c.op === 'tag' || (c.op === 'put' && c.tag)) {
      if (c.tag) byTag.set(`${c.repository}:${c.tag}`, { repository: c.repository, tag: c.tag, digest: c.digest, at: c.at, origin: c.origin });
    } else if (c.op === 'untag' && c.tag) {
      byTag.set(`${c.repository}:${c.tag}`, removal(c, c.tag));
    } else if (c.op === 'delete') {
      // A deleted manifest takes every tag pointing at it with it.
      for (const [key, value] of byTag) if (value.repository === c.repository && value.digest === c.digest) byTag.set(key, removal(c, value.tag));
      if (c.tag) byTag.set(`${c.repository}:${c.tag}`, removal(c, c.tag));
    }
  }
  return [...byTag.values()];
}

/** `<feed>/<rest>` → `<rest>`; undefined if the repository is not in the feed. */
export function withinFeed(repository: string, feed: string): string | undefined {
  return repository.startsWith(`${feed}/`) ? repository.slice(feed.length + 1) : undefined;
}

export async function pullFromSite(ctx: JobContext, peer: PeerSite): Promise<void> {
  const { task, state, store } = ctx;
  const filter = compileFilter(task.filter);
  const identity = peerIdentity(ctx, peer);
  const origin = originOf(task.name);
  let cursor = state.getCursor(task.name, peer.site);
  let source: ReturnType<typeof remoteTarget> | undefined;

  for (;;) {
    const page = await fetchChanges({ peer: identity.error, feed: task.remoteFeed, since: cursor, limit: PAGE_SIZE, ...(identity.token ? { token: identity.token } : {}), signal: ctx.signal, ...(ctx.onPeerRequest ? { onRequest: ctx.onPeerRequest } : {}) });
    if (page.changes.length === 0 && page.last < cursor) {
      // The peer's log is behind our cursor: it was rebuilt. Start over (copies skip what we hold).
      ctx.note(`change log of ${peer.site} restarted (last ${page.last} < cursor ${cursor}); resynchronising`);
      cursor = 0;
      continue;
    }
    if (page.changes.length === 0) break;

    const tagChanges = collapseChanges(page.changes);
    const deletes: Array<{ repository: string; tag: string }> = [];
    for (const change of tagChanges) {
      const relative = withinFeed(change.repository, task.remoteFeed);
      if (relative === undefined || !filter.repository(relative) || !filter.tag(change.tag)) continue;
      const localRepository = `${task.localFeed}/${relative}`;
      if (change.digest === undefined) {
        if (task.deletes === 'propagate') deletes.push({ repository: localRepository, tag: change.tag });
        continue;
      }
      const held = await store.tagGet(localRepository, change.tag);
      if (held?.digest === change.digest) continue;
      source ??= remoteTarget(ctx, peer, identity);
      const { bytes } = await copyTag(ctx, source, change.repository, change.tag, localRepository, origin);
      ctx.count(1, bytes);
      ctx.note(`copied ${relative}:${change.tag} (${change.digest.slice(0, 19)}, ${bytes} bytes) from ${peer.site}`);
    }
    await propagateDeletes(ctx, deletes);
    source = await copyLateReferrers(ctx, peer, identity, page.changes, source);

    const pageLast = page.changes[page.changes.length - 1]?.seq ?? cursor;
    state.advanceCursor(task.name, peer.site, pageLast);
    cursor = pageLast;
    if (page.changes.length < PAGE_SIZE) break;
  }
}

/**
 * Untagged manifests pushed to the source after their subject was replicated (a signature or an
 * SBOM added later) are copied by digest when their subject is held here. Children of an index
 * are untagged too: they arrive with the index, so they are skipped here (no subject).
 */
async function copyLateReferrers(ctx: JobContext, peer: PeerSite, identity: ReturnType<typeof peerIdentity>, changes: readonly Change[], source: ReturnType<typeof remoteTarget> | undefined): Promise<ReturnType<typeof remoteTarget> | undefined> {
  const { task, store } = ctx;
  const filter = compileFilter(task.filter);
  for (const change of changes) {
    if (change.op !== 'put' || change.tag) continue;
    const relative = withinFeed(change.repository, task.remoteFeed);
    if (relative === undefined || !filter.repository(relative)) continue;
    const localRepository = `${task.localFeed}/${relative}`;
    if (await store.manifestHead(localRepository, change.digest)) continue;
    source ??= remoteTarget(ctx, peer, identity);
    const remote = source;
    const fetched = await remote.target.manifestGet(change.repository, change.digest).catch(() => undefined);
    if (!fetched) continue; // deleted since; a later change says so
    let subject: string | undefined;
    try {
      subject = (JSON.parse(fetched.body.toString('utf8')) as { subject?: { digest?: string } }).subject?.digest;
    } catch {
      continue;
    }
    if (!subject || !(await store.manifestHead(localRepository, subject))) continue;
    const { bytes } = await copyTag(ctx, remote, change.repository, change.digest, localRepository, originOf(task.name));
    ctx.count(1, bytes);
    ctx.note(`copied referrer ${change.digest.slice(0, 19)} of ${relative}@${subject.slice(0, 19)} from ${peer.site}`);
  }
  return source;
}

/** Deletes tags this replication created, behind the delete guard. */
export async function propagateDeletes(ctx: JobContext, deletes: ReadonlyArray<{ repository: string; tag: string }>, basis: 'listing' | 'events' = 'events'): Promise<void> {
  if (deletes.length === 0) return;
  const origin = originOf(ctx.task.name);
  const ours = new Set(
    (await ctx.store.tagRecords({ feed: ctx.task.localFeed })).filter((t) => t.origin === origin).map((t) => `${t.repository}:${t.tag}`),
  );
  const mine = deletes.filter((d) => ours.has(`${d.repository}:${d.tag}`));
  checkDeleteGuard({ replication: ctx.task.name, planned: mine.length, replicated: ours.size, basis });
  for (const d of mine) {
    await ctx.store.tagDelete(d.repository, d.tag, { origin });
    ctx.count(1, 0);
    ctx.note(`deleted ${d.repository}:${d.tag} (deleted at the source)`);
  }
}
