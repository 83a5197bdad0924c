/**
 * Schedules this site's replication tasks on their cron expressions (node-schedule), with a
 * random start delay (jitter) so a fleet of spokes does not hit a hub in the same second.
 *
 * Contracts: one run of a replication at a time (a trigger while it runs is coalesced into one
 * follow-up run); a run skipped for a closed sync window is re-triggered when the window opens;
 * `sync()` is idempotent and only reschedules tasks whose definition changed; `stop()` cancels
 * every job and aborts in-flight runs, which are recorded and resume from their cursors.
 */
import schedule from 'node-schedule';
import type { Logger } from 'pino';
import type { ReplicationTask } from '../replicate/types.js';
import type { RunOutcome } from '../replicate/runner.js';

export type RunTask = (task: ReplicationTask, trigger: string, signal: AbortSignal) => Promise<RunOutcome>;

export interface SchedulerOptions {
  runTask: RunTask;
  log: Logger;
  /** Upper bound of the random delay before a scheduled run. */
  jitterMaxMs?: number;
  /** Called after every run (conditions, metrics). */
  onOutcome?: (task: ReplicationTask, outcome: RunOutcome) => void;
}

interface Entry {
  task: ReplicationTask;
  key: string;
  job: schedule.Job | undefined;
  windowJob?: schedule.Job;
  running?: Promise<RunOutcome>;
  again?: Promise<RunOutcome>;
}

export class ReplicationScheduler {
  private readonly entries = new Map<string, Entry>();
  private readonly shutdown = new AbortController();

  constructor(private readonly options: SchedulerOptions) {}

  /** Makes the scheduled set equal to `tasks`. Returns the names added, removed and changed. */
  sync(tasks: readonly ReplicationTask[]): { added: string[]; removed: string[]; changed: string[] } {
    const added: string[] = [];
    const changed: string[] = [];
    const wanted = new Set(tasks.map((t) => t.name));
    const removed = [...this.entries.keys()].filter((name) => !wanted.has(name));
    for (const name of removed) this.cancel(name);
    for (const task of tasks) {
      const key = JSON.stringify(task);
      const existing = this.entries.get(task.name);
      if (existing?.key === key) continue;
      if (existing) {
        existing.job?.cancel();
        existing.windowJob?.cancel();
        changed.push(task.name);
      } else {
        added.push(task.name);
      }
      const entry: Entry = { ...existing, task, key, job: undefined };
      entry.job = schedule.scheduleJob(task.schedule, () => void this.afterJitter(task.name));
      this.entries.set(task.name, entry);
    }
    return { added, removed, changed };
  }

  names(): string[] {
    return [...this.entries.keys()].sort();
  }

  task(name: string): ReplicationTask | undefined {
    return this.entries.get(name)?.task;
  }

  isRunning(name: string): boolean {
    return this.entries.get(name)?.running !== undefined;
  }

  /** Runs a replication now (after the current run, if one is in progress). */
  trigger(name: string, trigger = 'manual'): Promise<RunOutcome> | undefined {
    const entry = this.entries.get(name);
    if (!entry) return undefined;
    if (entry.running) {
      entry.again ??= entry.running.then(() => {
        entry.again = undefined;
        return this.start(entry, trigger);
      });
      return entry.again;
    }
    return this.start(entry, trigger);
  }

  async stop(): Promise<void> {
    this.shutdown.abort();
    const inFlight = [...this.entries.values()].map((e) => e.running).filter(Boolean);
    for (const name of [...this.entries.keys()]) this.cancel(name);
    await Promise.allSettled(inFlight);
  }

  private cancel(name: string): void {
    const entry = this.entries.get(name);
    entry?.job?.cancel();
    entry?.windowJob?.cancel();
    this.entries.delete(name);
  }

  private async afterJitter(name: string): Promise<void> {
    const jitter = Math.floor(Math.random() * (this.options.jitterMaxMs ?? 5_000));
    if (jitter > 0) await new Promise((r) => setTimeout(r, jitter));
    if (this.entries.has(name) && !this.isRunning(name)) void this.trigger(name, 'schedule');
  }

  private start(entry: Entry, trigger: string): Promise<RunOutcome> {
    const run = this.options
      .runTask(entry.task, trigger, this.shutdown.signal)
      .then((outcome) => {
        this.options.onOutcome?.(entry.task, outcome);
        if (outcome.result === 'skipped' && outcome.nextWindow && !this.shutdown.signal.aborted) {
          entry.windowJob?.cancel();
          entry.windowJob = schedule.scheduleJob(outcome.nextWindow, () => void this.trigger(entry.task.name, 'window'));
        }
        return outcome;
      })
      .finally(() => {
        entry.running = undefined;
      });
    entry.running = run;
    return run;
  }
}
