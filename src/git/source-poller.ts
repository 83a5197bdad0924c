/**
 * Poll + on-demand triggers for a GitSource.
 *
 * Contract of `createGitPoller()`:
 *   - syncs every `intervalMs` plus a random jitter (0..`jitterMs`, default 10% of the interval)
 *     so many sites do not hit the Git server in step; the timer restarts after every sync,
 *     whatever triggered it;
 *   - never runs two syncs at once: `trigger()` during a sync schedules exactly one more sync
 *     after it, however many triggers arrive (coalescing); the returned promise resolves when a
 *     sync that started after the call has finished;
 *   - `onChange(result)` runs inside the sync (awaited), only when `changed` is true, so the
 *     reconcile it starts cannot overlap the next sync either;
 *   - sync or onChange failures go to `onError` (default: logged) and never stop the poller;
 *   - `stop()` cancels the timer and waits for a running sync.
 */
import type { Logger } from 'pino';
import { silentLogger } from '../log/index.js';
import type { GitSource, SyncResult } from './source.js';

export interface GitPollerOptions {
  source: Pick<GitSource, 'sync'>;
  intervalMs: number;
  jitterMs?: number;
  onChange: (result: SyncResult) => void | Promise<void>;
  onError?: (err: unknown) => void;
  log?: Logger;
}

export interface GitPoller {
  /** Runs a first sync now and then polls. */
  start(): Promise<void>;
  /** Asks for a sync now (coalesced with a running one). */
  trigger(): Promise<void>;
  stop(): Promise<void>;
  /** Number of syncs started so far (tests, metrics). */
  readonly syncCount: number;
}

export function createGitPoller(options: GitPollerOptions): GitPoller {
  const { source, intervalMs, onChange, log = silentLogger } = options;
  const jitterMs = options.jitterMs ?? Math.round(intervalMs / 10);
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  let stopped = true;
  let syncCount = 0;

  const report = (err: unknown): void => {
    if (options.onError) options.onError(err);
    else log.warn({ code: (err as { code?: unknown })?.code, err }, 'topology sync failed');
  };

  function schedule(): void {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => void trigger(), intervalMs + Math.floor(Math.random() * (jitterMs + 1)));
    timer.unref?.();
  }

  async function cycle(): Promise<void> {
    syncCount++;
    try {
      const result = await source.sync();
      if (result.changed) await onChange(result);
    } catch (err) {
      report(err);
    } finally {
      inFlight = undefined;
      schedule();
    }
  }

  function trigger(): Promise<void> {
    if (queued) return queued;
    if (!inFlight) return (inFlight = cycle());
    queued = inFlight.then(() => {
      queued = undefined;
      return (inFlight = cycle());
    });
    return queued;
  }

  return {
    async start() {
      stopped = false;
      await trigger();
    },
    trigger,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await (queued ?? inFlight);
    },
    get syncCount() {
      return syncCount;
    },
  };
}
