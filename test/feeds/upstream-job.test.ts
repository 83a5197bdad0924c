/**
 * The replication job for package upstreams (`pullFromPackageUpstream`) with a real fs store,
 * state DB and rate limiter, against a real signed APT repository on loopback: every downloaded
 * byte passes the site's limiter; a run stopped by its request budget infers no deletes; the
 * next full run imports what is new and propagates what is gone; the runner dispatches debian
 * upstreams to this job.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createFsStore, type Store } from '../../src/store/index.js';
import { StateDb } from '../../src/state/state-db.js';
import { silentLogger } from '../../src/log/index.js';
import { createRateLimiter, runReplication, type RateLimiter } from '../../src/replicate/index.js';
import { pullFromPackageUpstream } from '../../src/replicate/job-upstream-packages.js';
import type { JobContext, ReplicationTask } from '../../src/replicate/types.js';
import { buildDeb } from './debian-fixtures.js';
import { createGpgKey, publishDebianRepo, serveStatic, tempDir, type GpgKey, type StaticServer } from './upstream-fixtures.js';

describe('pullFromPackageUpstream (job) against a signed APT repository', () => {
  let work: string;
  let root: string;
  let server: StaticServer;
  let key: GpgKey;
  let store: Store;
  let state: StateDb;
  const debs: Record<string, string> = {};
  let task: ReplicationTask;

  const context = (limiter?: RateLimiter): JobContext & { lines: string[] } => {
    const lines: string[] = [];
    return {
      task, store, state, log: silentLogger, signal: AbortSignal.timeout(30_000), lines,
      ...(limiter ? { limiter } : {}),
      resolveSecret: () => { throw new Error('no secrets here'); },
      note: (line) => void lines.push(line),
      count: () => undefined,
    };
  };
  const held = async (): Promise<string[]> => (await store.tagRecords({ feed: 'debs' })).map((t) => t.repository).sort();

  beforeAll(async () => {
    work = await tempDir('ferry-upstream-job-');
    root = join(work, 'www');
    const build = join(work, 'build');
    await mkdir(build, { recursive: true });
    await mkdir(join(root, 'pool/main'), { recursive: true });
    key = await createGpgKey(work, 'archive');
    for (const name of ['alpha', 'beta', 'gamma', 'delta']) debs[name] = await buildDeb(build, { name: `job-${name}`, version: '1.0-1' });
    for (const name of ['alpha', 'beta', 'gamma']) await copyFile(debs[name]!, join(root, 'pool/main', debs[name]!.split('/').pop()!));
    await publishDebianRepo(root, key);
    server = await serveStatic(root);
    store = await createFsStore({ dir: join(work, 'store') });
    await store.feedEnsure('debs', 'debian');
    state = new StateDb(join(work, 'state.db'));
    task = {
      name: 'apt-job', mode: 'pull', localFeed: 'debs', remoteFeed: 'debs', peers: [], deletes: 'propagate', schedule: '* * * * *',
      upstream: { name: 'apt', url: server.url, repositories: [], type: 'debian', distributions: ['stable'], signedBy: key.publicKey },
    };
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    state?.close();
    await server?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('passes every downloaded byte through the site limiter', async () => {
    const real = createRateLimiter({ bytesPerSecond: 10 * 1024 * 1024 });
    let taken = 0;
    const limiter: RateLimiter = { bytesPerSecond: real.bytesPerSecond, take: (n) => ((taken += n), real.take(n)), throttle: () => real.throttle() };
    await pullFromPackageUpstream(context(limiter), task.upstream!);
    expect(await held()).toEqual(['debs/job-alpha', 'debs/job-beta', 'debs/job-gamma']);
    let poolBytes = 0;
    for (const name of ['alpha', 'beta', 'gamma']) poolBytes += (await stat(debs[name]!)).size;
    const indexBytes = (await stat(join(root, 'dists/stable/InRelease'))).size + (await stat(join(root, 'dists/stable/main/binary-amd64/Packages.gz'))).size;
    expect(taken).toBe(poolBytes + indexBytes);
  });

  it('a run stopped by its request budget infers no deletes; the next full run does both', async () => {
    await rm(join(root, 'pool/main', debs['gamma']!.split('/').pop()!));
    await copyFile(debs['delta']!, join(root, 'pool/main', debs['delta']!.split('/').pop()!));
    await publishDebianRepo(root, key, { date: new Date(Date.now() + 2_000) });
    const stopped = context();
    await pullFromPackageUpstream(stopped, task.upstream!, 2); // InRelease + Packages.gz, no pool file
    expect(await held()).toEqual(['debs/job-alpha', 'debs/job-beta', 'debs/job-gamma']);
    expect(stopped.lines.join('\n')).toContain('deletes not propagated');
    await pullFromPackageUpstream(context(), task.upstream!);
    expect(await held()).toEqual(['debs/job-alpha', 'debs/job-beta', 'debs/job-delta']);
  });

  it('the runner dispatches a debian upstream to the package job and records the run', async () => {
    const outcome = await runReplication({ task, store, state, log: silentLogger, resolveSecret: () => '' }, { trigger: 'test', maxAttempts: 1 });
    expect(outcome).toMatchObject({ result: 'succeeded', items: 0, peer: 'upstream apt' });
    const noKey = { ...task, upstream: { ...task.upstream!, signedBy: undefined } } as ReplicationTask;
    const refused = await runReplication({ task: noKey, store, state, log: silentLogger, resolveSecret: () => '' }, { trigger: 'test', maxAttempts: 1 });
    expect(refused.error?.code).toBe('UPSTREAM_CONFIG');
  });
});
