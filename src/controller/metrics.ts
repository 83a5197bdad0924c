/**
 * Prometheus metrics of a site controller (prom-client, one registry per controller so tests
 * can run several in one process). Replication metrics are labelled by replication name only;
 * failure codes are bounded (stable error codes), never free text.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ReplicationTask } from '../replicate/types.js';
import type { RunOutcome } from '../replicate/runner.js';
import type { StateDb } from '../state/state-db.js';

export interface ControllerMetrics {
  registry: Registry;
  recordRun(task: ReplicationTask, outcome: RunOutcome): void;
  setTopology(commit: string | undefined, stalled: boolean): void;
}

export function createControllerMetrics(options: { state: StateDb; replicationNames: () => string[]; defaultMetrics?: boolean }): ControllerMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'ferry_process_' });
  const runs = new Counter({ name: 'ferry_replication_runs_total', help: 'Replication runs by result', labelNames: ['replication', 'result'], registers: [registry] });
  const failures = new Counter({ name: 'ferry_replication_failures_total', help: 'Failed replication runs by error code', labelNames: ['replication', 'code'], registers: [registry] });
  const bytes = new Counter({ name: 'ferry_replication_bytes_total', help: 'Bytes transferred by replication runs', labelNames: ['replication'], registers: [registry] });
  const items = new Counter({ name: 'ferry_replication_items_total', help: 'Items (tags copied or deleted) by replication runs', labelNames: ['replication'], registers: [registry] });
  const lastSuccess = new Gauge({
    name: 'ferry_replication_last_success_timestamp_seconds', help: 'Unix time of the last successful run', labelNames: ['replication'], registers: [registry],
    collect() {
      for (const name of options.replicationNames()) {
        const run = options.state.lastRun(name, 'succeeded');
        if (run?.endedAt) this.set({ replication: name }, Date.parse(run.endedAt) / 1000);
      }
    },
  });
  new Gauge({
    name: 'ferry_replication_lag_seconds', help: 'Seconds since the last successful run (how stale this site may be)', labelNames: ['replication'], registers: [registry],
    collect() {
      const now = Date.now();
      for (const name of options.replicationNames()) {
        const run = options.state.lastRun(name, 'succeeded');
        if (run?.endedAt) this.set({ replication: name }, Math.max(0, (now - Date.parse(run.endedAt)) / 1000));
      }
    },
  });
  const failing = new Gauge({ name: 'ferry_replication_failing', help: '1 while the last run of a replication failed', labelNames: ['replication'], registers: [registry] });
  const stalledGauge = new Gauge({ name: 'ferry_topology_stalled', help: '1 while the newest topology commit could not be applied', registers: [registry] });
  const applied = new Gauge({ name: 'ferry_topology_applied_info', help: 'The applied topology commit', labelNames: ['commit'], registers: [registry] });
  void lastSuccess;

  return {
    registry,
    recordRun(task, outcome) {
      runs.inc({ replication: task.name, result: outcome.result });
      if (outcome.bytes > 0) bytes.inc({ replication: task.name }, outcome.bytes);
      if (outcome.items > 0) items.inc({ replication: task.name }, outcome.items);
      if (outcome.result === 'failed') failures.inc({ replication: task.name, code: outcome.error?.code ?? 'UNKNOWN' });
      if (outcome.result !== 'skipped') failing.set({ replication: task.name }, outcome.result === 'failed' ? 1 : 0);
    },
    setTopology(commit, stalled) {
      stalledGauge.set(stalled ? 1 : 0);
      applied.reset();
      if (commit) applied.set({ commit }, 1);
    },
  };
}
