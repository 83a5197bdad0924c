/**
 * Mirror: this site (a target of the replication) and the source converge both ways, deletes
 * included. Run by the target only: first it applies the source's changes since its cursor,
 * then it sends its own local changes since its local cursor.
 *
 * Bookkeeping per (repository, tag): the digest both sides agreed on at the last sync (`S`, in
 * the state DB). A side "changed" a tag when its current digest differs from S. Removals are
 * tombstones in each side's change log, so a delete travels like any other change.
 * A conflict is a tag both sides changed since S to different values: the most recent change
 * wins (change times as each side recorded them), and the conflict is recorded and reported
 * (run log, state DB, `/api/v1/replications/<name>`), never silently dropped.
 */
import { compileFilter, type CompiledFilter } from './filter.js';
import { fetchChanges } from './peer-api.js';
import { collapseChanges, withinFeed, type TagChange } from './job-pull.js';
import { deleteRemoteTag } from './job-push.js';
import { copyTag, pushTag, remoteTarget, withPeerErrors, type RemoteTarget } from './transfer.js';
import { peerIdentity } from './token.js';
import { originOf, type JobContext, type PeerSite } from './types.js';

const PAGE_SIZE = 500;
const LOCAL = 'local';

interface MirrorSides {
  ctx: JobContext;
  peer: PeerSite;
  remote: RemoteTarget;
  filter: CompiledFilter;
  origin: string;
}

export async function mirrorWithSite(ctx: JobContext, peer: PeerSite): Promise<void> {
  const identity = peerIdentity(ctx, peer);
  const sides: MirrorSides = { ctx, peer, remote: remoteTarget(ctx, peer, identity), filter: compileFilter(ctx.task.filter), origin: originOf(ctx.task.name) };
  await pullRemoteChanges(sides, identity.token);
  await pushLocalChanges(sides);
}

async function pullRemoteChanges(sides: MirrorSides, token: string | undefined): Promise<void> {
  const { ctx, peer } = sides;
  let cursor = ctx.state.getCursor(ctx.task.name, peer.site);
  for (;;) {
    const page = await fetchChanges({ peer: sides.remote.identity.error, feed: ctx.task.remoteFeed, since: cursor, limit: PAGE_SIZE, ...(token ? { token } : {}), signal: ctx.signal, ...(ctx.onPeerRequest ? { onRequest: ctx.onPeerRequest } : {}) });
    if (page.changes.length === 0) break;
    for (const change of collapseChanges(page.changes)) {
      // Changes the remote received from us come back in its log: they are echoes, not news.
      if (change.origin === sides.origin) continue;
      const relative = withinFeed(change.repository, ctx.task.remoteFeed);
      if (relative === undefined || !sides.filter.repository(relative) || !sides.filter.tag(change.tag)) continue;
      await applyRemoteChange(sides, relative, change);
    }
    const pageLast = page.changes[page.changes.length - 1]?.seq ?? cursor;
    ctx.state.advanceCursor(ctx.task.name, peer.site, pageLast);
    cursor = pageLast;
    if (page.changes.length < PAGE_SIZE) break;
  }
}

async function applyRemoteChange(sides: MirrorSides, relative: string, change: TagChange): Promise<void> {
  const { ctx, peer, origin } = sides;
  const { task, store, state } = ctx;
  const localRepository = `${task.localFeed}/${relative}`;
  const local = await store.tagGet(localRepository, change.tag);
  const synced = state.mirrorState(task.name, localRepository, change.tag);
  if (local?.digest === change.digest) {
    state.setMirrorState(task.name, localRepository, change.tag, change.digest);
    return;
  }
  const localChanged = local?.digest !== synced;
  if (localChanged) {
    const localAt = local?.updatedAt ?? '';
    const winner: 'local' | 'remote' = localAt > change.at ? 'local' : 'remote';
    state.recordConflict({ replication: task.name, repository: `${relative}`, tag: change.tag, localDigest: local?.digest ?? '(deleted)', remoteDigest: change.digest ?? '(deleted)', winner });
    ctx.note(`conflict on ${relative}:${change.tag}: changed here (${local?.digest ?? 'deleted'}) and at ${peer.site} (${change.digest ?? 'deleted'}); the most recent change (${winner}) wins`);
    if (winner === 'local') return; // the push phase sends ours
  }
  if (change.digest === undefined) {
    if (local) {
      await store.tagDelete(localRepository, change.tag, { origin });
      ctx.count(1, 0);
      ctx.note(`deleted ${relative}:${change.tag} (deleted at ${peer.site})`);
    }
  } else {
    const { bytes } = await copyTag(ctx, sides.remote, change.repository, change.tag, localRepository, origin);
    ctx.count(1, bytes);
    ctx.note(`copied ${relative}:${change.tag} from ${peer.site} (${bytes} bytes)`);
  }
  state.setMirrorState(task.name, localRepository, change.tag, change.digest);
}

async function pushLocalChanges(sides: MirrorSides): Promise<void> {
  const { ctx, peer, remote, origin } = sides;
  const { task, store, state } = ctx;
  let cursor = state.getCursor(task.name, LOCAL);
  for (;;) {
    const page = await store.changes(task.localFeed, cursor, PAGE_SIZE);
    if (page.changes.length === 0) break;
    for (const change of collapseChanges(page.changes)) {
      if (change.origin === origin) continue; // written by this mirror from the remote
      const relative = withinFeed(change.repository, task.localFeed);
      if (relative === undefined || !sides.filter.repository(relative) || !sides.filter.tag(change.tag)) continue;
      const remoteRepository = `${task.remoteFeed}/${relative}`;
      const current = await store.tagGet(change.repository, change.tag);
      const synced = state.mirrorState(task.name, change.repository, change.tag);
      if (current?.digest === synced) continue;
      const there = await withPeerErrors(remote, () => remote.target.manifestHead(remoteRepository, change.tag));
      if (there?.digest !== synced && there?.digest !== current?.digest && synced !== undefined) {
        // The remote moved too and its change has not reached us yet: the next pull decides.
        ctx.note(`${relative}:${change.tag} changed on both sides; deferring to the next pull`);
        continue;
      }
      if (current) {
        const { bytes } = await pushTag(ctx, remote, change.repository, change.tag, remoteRepository);
        ctx.count(1, bytes);
        ctx.note(`sent ${relative}:${change.tag} to ${peer.site} (${bytes} bytes)`);
      } else if (await deleteRemoteTag(remote, remoteRepository, change.tag, synced)) {
        ctx.count(1, 0);
        ctx.note(`deleted ${relative}:${change.tag} at ${peer.site}`);
      }
      state.setMirrorState(task.name, change.repository, change.tag, current?.digest);
    }
    const pageLast = page.changes[page.changes.length - 1]?.seq ?? cursor;
    state.advanceCursor(task.name, LOCAL, pageLast);
    cursor = pageLast;
    if (page.changes.length < PAGE_SIZE) break;
  }
}
