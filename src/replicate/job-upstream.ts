/**
 * Pull from an `Upstream` registry (no change log): list tags, compare each tag's digest (HEAD)
 * with what this site holds, copy what differs. A request budget bounds the requests one run
 * makes so a big upstream is not hammered; where a run stops for the budget, the next run
 * resumes after the last checked tag. 429s are handled by the OCI client's retry layer.
 *
 * Upstream credentials (`spec.credentials.secretRef`) hold either `user:password` (Basic) or a
 * bare token (Bearer / registry token flow).
 */
import { createRegistryClient } from '../oci/index.js';
import type { ContentTarget } from '../oci/content.js';
import { compileFilter } from './filter.js';
import { copyTagFrom, pooledRegistryClient } from './transfer.js';
import { hashToken } from '../util/token.js';
import { credentialsFromSecret } from '../util/secret.js';
import { propagateDeletes } from './job-pull.js';
import { originOf, type JobContext, type UpstreamSource } from './types.js';
import { explainPeerFailure } from './errors.js';

export const DEFAULT_REQUEST_BUDGET = 2_000;

function upstreamClient(ctx: JobContext, upstream: UpstreamSource): ContentTarget {
  const url = new URL(upstream.url);
  const secret = upstream.credentials ? ctx.resolveSecret(upstream.credentials) : undefined;
  const auth = secret === undefined ? undefined : credentialsFromSecret(secret);
  const create = () => createRegistryClient({
    registry: url.host,
    plainHttp: url.protocol === 'http:',
    ...(auth ? { auth } : {}),
    ...(ctx.onPeerRequest ? { onRequest: ctx.onPeerRequest } : {}),
  });
  return pooledRegistryClient(ctx, `${url.origin}|${secret ? hashToken(secret) : ''}`, create);
}

export async function pullFromUpstream(ctx: JobContext, upstream: UpstreamSource, budget = DEFAULT_REQUEST_BUDGET): Promise<void> {
  const { task, store, state } = ctx;
  const filter = compileFilter(task.filter);
  const client = upstreamClient(ctx, upstream);
  const peer = { site: `upstream ${upstream.name}`, url: upstream.url };
  const resumeKey = `upstream-resume:${task.name}`;
  const resumeAfter = state.getMeta(resumeKey) ?? '';
  let requests = 0;
  const spend = (): boolean => ++requests <= budget;

  for (const repository of [...upstream.repositories].sort()) {
    if (!filter.repository(repository)) continue;
    const localRepository = `${task.localFeed}/${repository}`;
    const listed = new Set<string>();
    let last: string | undefined;
    let complete = true;
    do {
      if (!spend()) { complete = false; break; }
      const page = await client.tagList(repository, { n: 1000, ...(last ? { last } : {}) }).catch((err: unknown) => { throw explainPeerFailure(err, peer); });
      for (const tag of page.tags) {
        if (!filter.tag(tag)) continue;
        listed.add(tag);
        const position = `${repository}:${tag}`;
        if (resumeAfter && position <= resumeAfter) continue;
        if (!spend()) { state.setMeta(resumeKey, position); ctx.note(`request budget of ${budget} spent; next run resumes at ${position}`); return; }
        const remote = await client.manifestHead(repository, tag).catch((err: unknown) => { throw explainPeerFailure(err, peer); });
        if (!remote) continue;
        const held = await store.tagGet(localRepository, tag);
        if (held?.digest === remote.digest) continue;
        const { bytes } = await copyTagFrom(ctx, client, peer, repository, tag, localRepository, originOf(task.name));
        ctx.count(1, bytes);
        ctx.note(`copied ${repository}:${tag} (${remote.digest.slice(0, 19)}) from ${upstream.name}`);
      }
      last = page.next;
    } while (last);

    if (complete && task.deletes === 'propagate') {
      const held = await store.tagRecords({ repository: localRepository });
      const gone = held.filter((t) => t.origin === originOf(task.name) && !listed.has(t.tag)).map((t) => ({ repository: localRepository, tag: t.tag }));
      await propagateDeletes(ctx, gone, 'listing');
    }
  }
  state.setMeta(resumeKey, '');
}
