/**
 * The poller: coalescing and no-overlap with a controllable source (an in-process GitSource
 * stand-in whose sync() the test releases by hand, so the interleavings are deterministic), and
 * polling a real repository behind `git http-backend`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createGitPoller } from '../../src/git/source-poller.js';
import { createGitSource, type SyncResult } from '../../src/git/source.js';
import { createTopologyRepo, startGitServer } from '../helpers/git-server.js';

function gatedSource(): { sync: () => Promise<SyncResult>; release: () => void; running: () => number; maxRunning: () => number; calls: () => number } {
  const gates: Array<() => void> = [];
  let running = 0;
  let maxRunning = 0;
  let calls = 0;
  return {
    sync: () => {
      calls++;
      running++;
      maxRunning = Math.max(maxRunning, running);
      return new Promise<SyncResult>((resolve) =>
        gates.push(() => {
          running--;
          resolve({ commit: String(calls).padStart(40, '0'), changed: true });
        }),
      );
    },
    release: () => gates.shift()?.(),
    running: () => running,
    maxRunning: () => maxRunning,
    calls: () => calls,
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

describe('createGitPoller', () => {
  it('coalesces triggers during a sync into exactly one more sync, never overlapping', async () => {
    const source = gatedSource();
    const changes: string[] = [];
    const poller = createGitPoller({ source, intervalMs: 60_000, onChange: (r) => void changes.push(r.commit) });

    const first = poller.trigger();
    await tick();
    const during = [poller.trigger(), poller.trigger(), poller.trigger()];
    expect(source.calls()).toBe(1);
    source.release();
    await first;
    await tick();
    expect(source.calls()).toBe(2); // the three triggers became one sync
    source.release();
    await Promise.all(during);
    expect(source.calls()).toBe(2);
    expect(source.maxRunning()).toBe(1);
    expect(changes).toHaveLength(2);
    await poller.stop();
  });

  it('keeps polling after a failed sync and reports the error', async () => {
    let n = 0;
    const errors: unknown[] = [];
    const seen: string[] = [];
    const source = {
      sync: async (): Promise<SyncResult> => {
        n++;
        if (n === 1) throw Object.assign(new Error('down'), { code: 'GIT_CONNECTION' });
        return { commit: 'c'.repeat(40), changed: n === 2 };
      },
    };
    const poller = createGitPoller({ source, intervalMs: 20, jitterMs: 5, onChange: (r) => void seen.push(r.commit), onError: (e) => void errors.push(e) });
    await poller.start();
    await expect.poll(() => n, { timeout: 5_000 }).toBeGreaterThanOrEqual(3);
    await poller.stop();
    expect(errors).toHaveLength(1);
    expect(seen).toEqual(['c'.repeat(40)]);
  });

  it('picks up a commit pushed to a real repository without any trigger', async () => {
    const server = await startGitServer();
    const repo = await createTopologyRepo({ root: server.root });
    const cache = await mkdtemp(join(tmpdir(), 'ferry-git-poller-'));
    try {
      await repo.write('sites.yaml', 'kind: Site\n');
      const first = await repo.commitAndPush('first');
      const source = createGitSource({ url: `${server.url}/${repo.name}`, dir: cache });
      const applied: string[] = [];
      const poller = createGitPoller({ source, intervalMs: 100, jitterMs: 20, onChange: (r) => void applied.push(r.commit) });
      await poller.start();
      expect(applied).toEqual([first]);
      await repo.write('sites.yaml', 'kind: Site\n# changed\n');
      const second = await repo.commitAndPush('second');
      await expect.poll(() => applied, { timeout: 10_000, interval: 50 }).toEqual([first, second]);
      await poller.stop();
      const syncs = poller.syncCount;
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(poller.syncCount).toBe(syncs); // stopped means stopped
    } finally {
      await repo.cleanup();
      await server.stop();
      await rm(cache, { recursive: true, force: true });
    }
  });
});
