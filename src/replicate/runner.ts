/**
 * Runs one replication once: window check, a deadline for the whole run, retries with
 * exponential backoff and jitter for transient failures, fallback peers for pull, and exactly one
 * run record (started → succeeded | failed | skipped) whatever happens.
 *
 * Contract: `runReplication` never throws; it returns the outcome, and the caller (the
 * scheduler) turns it into conditions and metrics. No run outlives its deadline.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { FerryError, NextAction, errorMessage, isFerryError } from '../errors/index.js';
import { ReplicationErrorCode, isPeerUnavailable } from './errors.js';
import { pullFromSite } from './job-pull.js';
import { pullFromUpstream } from './job-upstream.js';
import { pullFromPackageUpstream } from './job-upstream-packages.js';
import { pushToSites } from './job-push.js';
import { mirrorWithSite } from './job-mirror.js';
import { isWithinWindows, nextWindowOpen } from './window.js';
import type { JobContext, ReplicationTask } from './types.js';

export interface RunOptions {
  trigger: string;
  /** Whole-run deadline. */
  deadlineMs?: number;
  maxAttempts?: number;
  baseDelayMs?: number;
  /** Manual runs may ignore the window when asked explicitly. */
  ignoreWindows?: boolean;
  /** Aborts the run (controller shutdown); the run is recorded as failed and resumes next time. */
  signal?: AbortSignal;
  now?: () => Date;
}

export interface RunOutcome {
  runId: number;
  result: 'succeeded' | 'failed' | 'skipped';
  items: number;
  bytes: number;
  peer?: string;
  error?: FerryError;
  /** When skipped for a closed window: when it opens next. */
  nextWindow?: Date;
}

type JobDeps = Omit<JobContext, 'signal' | 'note' | 'count'>;

async function runOnce(ctx: JobContext): Promise<string | undefined> {
  const { task } = ctx;
  if (task.mode === 'push') {
    await pushToSites(ctx);
    return undefined;
  }
  if (task.upstream) {
    if (task.upstream.type === 'debian' || task.upstream.type === 'rpm') await pullFromPackageUpstream(ctx, task.upstream);
    else await pullFromUpstream(ctx, task.upstream);
    return `upstream ${task.upstream.name}`;
  }
  if (task.mode === 'mirror') {
    const peer = task.peers[0];
    if (!peer) throw new FerryError('REPLICATION_NO_PEER', `replication ${task.name} has no peer`);
    await mirrorWithSite(ctx, peer);
    return peer.site;
  }
  // pull: the primary first on every run, then fallbacks in order while peers are unreachable.
  let lastError: unknown;
  for (const [index, peer] of task.peers.entries()) {
    try {
      await pullFromSite(ctx, peer);
      if (index > 0) ctx.note(`pulled from fallback ${peer.site} because the primary was unreachable`);
      return peer.site;
    } catch (err) {
      lastError = err;
      if (!isPeerUnavailable(err) || index === task.peers.length - 1) throw err;
      ctx.note(`${peer.site} unreachable (${errorMessage(err)}); trying the next fallback`);
    }
  }
  throw lastError ?? new FerryError('REPLICATION_NO_PEER', `replication ${task.name} has no peer`);
}

function backoffDelay(attempt: number, base: number): number {
  const ceiling = base * 2 ** attempt;
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

export async function runReplication(deps: JobDeps, options: RunOptions): Promise<RunOutcome> {
  const { task, state, log } = deps;
  const { trigger, deadlineMs = 15 * 60_000, maxAttempts = 4, baseDelayMs = 500, now = () => new Date() } = options;
  const runId = state.startRun(task.name, trigger);
  const lines: string[] = [];
  let items = 0;
  let bytes = 0;
  const note = (line: string): void => {
    lines.push(`${new Date().toISOString()} ${line}`);
  };
  const count = (i: number, b: number): void => {
    items += i;
    bytes += b;
  };

  if (!options.ignoreWindows && !isWithinWindows(task.windows, now())) {
    const next = nextWindowOpen(task.windows, now());
    note(`outside the site's sync windows; next window opens ${next?.toISOString() ?? 'never'}`);
    state.finishRun(runId, { result: 'skipped', items: 0, bytes: 0, errorCode: 'OUTSIDE_WINDOW', log: lines });
    return { runId, result: 'skipped', items: 0, bytes: 0, ...(next ? { nextWindow: next } : {}) };
  }

  const deadline = AbortSignal.any([AbortSignal.timeout(deadlineMs), ...(options.signal ? [options.signal] : [])]);
  let peer: string | undefined;
  let failure: FerryError | undefined;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    try {
      peer = await runOnce({ ...deps, signal: deadline, note, count });
      failure = undefined;
      break;
    } catch (err) {
      failure = options.signal?.aborted
        ? new FerryError('REPLICATION_ABORTED', `replication ${task.name} was stopped (controller shutdown); it resumes on the next run`, { next: NextAction.retry, cause: err })
        : deadline.aborted
        ? new FerryError(ReplicationErrorCode.deadline, `replication ${task.name} did not finish within ${Math.round(deadlineMs / 1000)}s`, { next: NextAction.backoff, cause: err })
        : isFerryError(err) ? err : new FerryError('INTERNAL', errorMessage(err), { next: NextAction.backoff, cause: err });
      note(`attempt ${attempt + 1} failed: ${failure.code}: ${failure.message}`);
      if (failure.next === NextAction.fix || deadline.aborted || attempt === maxAttempts - 1) break;
      const delay = backoffDelay(attempt, baseDelayMs);
      await sleep(delay, undefined, { signal: deadline }).catch(() => undefined);
    }
  }

  const result = failure ? 'failed' : 'succeeded';
  state.finishRun(runId, {
    result, items, bytes, log: lines,
    ...(peer ? { peer } : {}),
    ...(failure ? { errorCode: failure.code, errorMessage: failure.message } : {}),
  });
  if (failure) log.warn({ replication: task.name, code: failure.code, data: failure.data }, 'replication run failed');
  else log.info({ replication: task.name, items, bytes, peer }, 'replication run succeeded');
  return { runId, result, items, bytes, ...(peer ? { peer } : {}), ...(failure ? { error: failure } : {}) };
}

export type { ReplicationTask };
