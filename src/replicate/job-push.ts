/**
 * Push: this site (the source) uploads what changed in its feed to every target's `/v2` with a
 * `write` token. One cursor per target over the LOCAL change log, so a target that was down
 * catches up from where it stopped, and one failing target does not hold back the others.
 * With `deletes: propagate`, a tag removed here is removed there only while it still points at
 * the digest removed here (never something the target changed itself).
 */
import { FerryError } from '../errors/index.js';
import { compileFilter } from './filter.js';
import { collapseChanges, withinFeed } from './job-pull.js';
import { pushTag, remoteTarget, withPeerErrors, type RemoteTarget } from './transfer.js';
import { peerIdentity } from './token.js';
import type { JobContext, PeerSite } from './types.js';

const PAGE_SIZE = 500;

export async function pushToSites(ctx: JobContext): Promise<void> {
  const failures: unknown[] = [];
  for (const peer of ctx.task.peers) {
    try {
      await pushToSite(ctx, peer);
    } catch (err) {
      failures.push(err);
      ctx.note(`push to ${peer.site} failed: ${(err as Error).message}`);
    }
  }
  if (failures.length > 0) throw failures[0] instanceof FerryError ? failures[0] : new FerryError('REPLICATION_PEER_ERROR', String(failures[0]));
}

/** Removes `repository:tag` at the peer if it still points at `digest`. */
export async function deleteRemoteTag(remote: RemoteTarget, repository: string, tag: string, digest: string | undefined): Promise<boolean> {
  const current = await withPeerErrors(remote, () => remote.target.manifestHead(repository, tag));
  if (!current || (digest !== undefined && current.digest !== digest)) return false;
  const client = remote.target as typeof remote.target & { tagDelete?: (r: string, t: string) => Promise<unknown>; manifestDelete?: (r: string, d: string) => Promise<unknown> };
  if (client.tagDelete) await withPeerErrors(remote, () => client.tagDelete!(repository, tag));
  else if (client.manifestDelete) await withPeerErrors(remote, () => client.manifestDelete!(repository, current.digest));
  else return false;
  return true;
}

async function pushToSite(ctx: JobContext, peer: PeerSite): Promise<void> {
  const { task, state, store } = ctx;
  const filter = compileFilter(task.filter);
  const remoteFeed = task.remoteFeedByPeer?.[peer.site] ?? task.remoteFeed;
  const remote = remoteTarget(ctx, peer, peerIdentity(ctx, peer));
  let cursor = state.getCursor(task.name, peer.site);
  for (;;) {
    const page = await store.changes(task.localFeed, cursor, PAGE_SIZE);
    if (page.changes.length === 0) break;
    for (const change of collapseChanges(page.changes)) {
      const relative = withinFeed(change.repository, task.localFeed);
      if (relative === undefined || !filter.repository(relative) || !filter.tag(change.tag)) continue;
      const remoteRepository = `${remoteFeed}/${relative}`;
      if (change.digest === undefined) {
        if (task.deletes === 'propagate' && (await deleteRemoteTag(remote, remoteRepository, change.tag, change.removedDigest))) {
          ctx.count(1, 0);
          ctx.note(`deleted ${relative}:${change.tag} at ${peer.site}`);
        }
        continue;
      }
      const held = await store.tagGet(change.repository, change.tag);
      if (!held) continue; // removed again later than this page: a later page says so
      const there = await withPeerErrors(remote, () => remote.target.manifestHead(remoteRepository, change.tag));
      if (there?.digest === held.digest) continue;
      const { bytes } = await pushTag(ctx, remote, change.repository, change.tag, remoteRepository);
      ctx.count(1, bytes);
      ctx.note(`pushed ${relative}:${change.tag} to ${peer.site} (${bytes} bytes)`);
    }
    const pageLast = page.changes[page.changes.length - 1]?.seq ?? cursor;
    state.advanceCursor(task.name, peer.site, pageLast);
    cursor = pageLast;
    if (page.changes.length < PAGE_SIZE) break;
  }
}
