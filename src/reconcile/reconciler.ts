/**
 * Applies a topology commit to this site: validate, take this site's slice, run the steps in
 * order, and write conditions in one place.
 *
 * Contracts:
 * - An invalid commit (or one where this site does not exist) is NOT applied: the site keeps
 *   running on its last good commit and reports `Stalled` with the issues (file:line:col).
 * - The last applied commit is recorded (`applied_commit` in the state DB); on restart the
 *   controller re-applies it before it fetches, so it serves offline.
 * - Replication conditions are written from run outcomes by `recordOutcome`.
 */
import type { Logger } from 'pino';
import { loadTopologyFiles, type LoadResult, type TopologyFile } from '../topology/index.js';
import { planForSite } from '../plan/index.js';
import type { AuthHolder } from '../server/index.js';
import type { Store } from '../store/store.js';
import type { StateDb } from '../state/state-db.js';
import type { ReplicationTask } from '../replicate/types.js';
import type { RunOutcome } from '../replicate/runner.js';
import { errorMessage } from '../errors/index.js';
import { ConditionType, ResourceKind, type ResourceResult } from './conditions.js';
import { reconcileSteps, type Desired } from './steps.js';
import type { ReplicationScheduler } from './scheduler.js';

export interface ReconcilerDeps {
  site: string;
  store: Store;
  state: StateDb;
  auth: AuthHolder;
  scheduler: ReplicationScheduler;
  log: Logger;
}

export interface ApplyResult {
  applied: boolean;
  commit: string;
  issues: LoadResult['issues'];
  reason?: string;
  /** The applied plan (when applied). */
  plan?: Desired['plan'];
}

const MAX_ISSUES_IN_MESSAGE = 20;

function issuesMessage(issues: LoadResult['issues']): string {
  const errors = issues.filter((i) => i.severity === 'error');
  const lines = errors.slice(0, MAX_ISSUES_IN_MESSAGE).map((i) => `${i.file}:${i.line}:${i.column}: ${i.code} ${i.message}`);
  if (errors.length > MAX_ISSUES_IN_MESSAGE) lines.push(`… and ${errors.length - MAX_ISSUES_IN_MESSAGE} more`);
  return lines.join('\n');
}

export class Reconciler {
  private appliedCommit: string | undefined;
  private appliedPlan: Desired['plan'] | undefined;
  private applying: Promise<ApplyResult> | undefined;

  constructor(private readonly deps: ReconcilerDeps) {
    this.appliedCommit = deps.state.getMeta('applied_commit');
  }

  get commit(): string | undefined {
    return this.appliedCommit;
  }

  /** This site's plan at the applied commit. */
  get plan(): Desired['plan'] | undefined {
    return this.appliedPlan;
  }

  /** Applies the topology files of `commit` (serialised: one apply at a time). */
  async apply(commit: string, files: readonly TopologyFile[]): Promise<ApplyResult> {
    while (this.applying) await this.applying.catch(() => undefined);
    this.applying = this.applyNow(commit, files);
    try {
      return await this.applying;
    } finally {
      this.applying = undefined;
    }
  }

  private async applyNow(commit: string, files: readonly TopologyFile[]): Promise<ApplyResult> {
    const { state, site, log } = this.deps;
    const loaded = loadTopologyFiles([...files]);
    const siteResource = loaded.topology.sites.find((s) => s.metadata.name === site);
    if (!loaded.valid || !siteResource) {
      const reason = !loaded.valid ? 'InvalidTopology' : 'SiteNotInTopology';
      const message = !loaded.valid
        ? `commit ${commit.slice(0, 12)} is invalid; still running ${this.appliedCommit ? `commit ${this.appliedCommit.slice(0, 12)}` : 'no topology'}:\n${issuesMessage(loaded.issues)}`
        : `commit ${commit.slice(0, 12)} has no Site named ${site}; still running ${this.appliedCommit?.slice(0, 12) ?? 'no topology'}`;
      state.setCondition({ kind: ResourceKind.site, name: site, type: ConditionType.stalled, status: 'True', reason, message, observedCommit: commit });
      state.setCondition({ kind: ResourceKind.site, name: site, type: ConditionType.ready, status: this.appliedCommit ? 'True' : 'False', reason, message: this.appliedCommit ? `serving last good commit ${this.appliedCommit.slice(0, 12)}` : message, observedCommit: commit });
      state.setMeta('rejected_commit', commit);
      log.error({ commit, reason, issues: loaded.issues.filter((i) => i.severity === 'error').length }, 'topology commit not applied');
      return { applied: false, commit, issues: loaded.issues, reason };
    }

    const desired: Desired = { commit, plan: planForSite(loaded.topology, site), site: siteResource };
    state.setCondition({ kind: ResourceKind.site, name: site, type: ConditionType.reconciling, status: 'True', reason: 'Progressing', message: `applying commit ${commit.slice(0, 12)}`, observedCommit: commit });
    const results: ResourceResult[] = [];
    let failure: string | undefined;
    for (const step of reconcileSteps) {
      try {
        results.push(...(await step({ desired, ...this.deps })));
      } catch (err) {
        failure = errorMessage(err);
        break;
      }
    }
    this.writeResourceConditions(desired, results);
    state.setCondition({ kind: ResourceKind.site, name: site, type: ConditionType.reconciling, status: 'False', reason: failure ? 'Failed' : 'Succeeded', message: failure ?? '', observedCommit: commit });
    if (failure) {
      state.setCondition({ kind: ResourceKind.site, name: site, type: ConditionType.ready, status: 'False', reason: 'ReconcileFailed', message: failure, observedCommit: commit });
      return { applied: false, commit, issues: loaded.issues, reason: 'ReconcileFailed' };
    }
    state.removeConditions(ResourceKind.site, site, [ConditionType.ready, ConditionType.reconciling, ConditionType.fetchFailed]);
    state.setCondition({ kind: ResourceKind.site, name: site, type: ConditionType.ready, status: 'True', reason: 'Applied', message: `commit ${commit.slice(0, 12)} applied`, observedCommit: commit });
    state.setMeta('applied_commit', commit);
    this.appliedCommit = commit;
    this.appliedPlan = desired.plan;
    log.info({ commit, feeds: desired.plan.feeds.length, replications: desired.plan.replications.length }, 'topology applied');
    return { applied: true, commit, issues: loaded.issues, plan: desired.plan };
  }

  /** The one place resource results become conditions; resources no longer planned lose theirs. */
  private writeResourceConditions(desired: Desired, results: readonly ResourceResult[]): void {
    const { state } = this.deps;
    const present = new Set(results.map((r) => `${r.kind}/${r.name}`));
    for (const c of state.conditions()) {
      if ((c.kind === ResourceKind.feed || c.kind === ResourceKind.replication) && !present.has(`${c.kind}/${c.name}`)) state.removeConditions(c.kind, c.name);
    }
    for (const r of results) {
      if (r.kind === ResourceKind.replication) {
        // Ready for a replication comes from its runs; scheduling only says it is Reconciling until the first one.
        const hasReady = state.conditions().some((c) => c.kind === r.kind && c.name === r.name && c.type === ConditionType.ready);
        if (!hasReady) state.setCondition({ kind: r.kind, name: r.name, type: ConditionType.ready, status: 'Unknown', reason: 'Scheduled', message: r.message, observedCommit: desired.commit });
        continue;
      }
      state.setCondition({ kind: r.kind, name: r.name, type: ConditionType.ready, status: r.ok ? 'True' : 'False', reason: r.reason, message: r.message, observedCommit: desired.commit });
    }
  }

  /** Records a fetch failure of the topology repository (the site keeps its last good commit). */
  recordFetchFailure(message: string): void {
    this.deps.state.setCondition({ kind: ResourceKind.site, name: this.deps.site, type: ConditionType.fetchFailed, status: 'True', reason: 'FetchFailed', message, ...(this.appliedCommit ? { observedCommit: this.appliedCommit } : {}) });
  }

  recordFetchSuccess(): void {
    const { state, site } = this.deps;
    if (state.conditions().some((c) => c.kind === ResourceKind.site && c.name === site && c.type === ConditionType.fetchFailed)) {
      state.removeConditions(ResourceKind.site, site, [ConditionType.ready, ConditionType.reconciling, ConditionType.stalled]);
    }
  }

  /** Turns a run outcome into the replication's conditions. */
  recordOutcome(task: ReplicationTask, outcome: RunOutcome): void {
    const { state } = this.deps;
    const base = { kind: ResourceKind.replication, name: task.name, ...(this.appliedCommit ? { observedCommit: this.appliedCommit } : {}) };
    if (outcome.result === 'succeeded') {
      state.removeConditions(ResourceKind.replication, task.name, [ConditionType.ready]);
      state.setCondition({ ...base, type: ConditionType.ready, status: 'True', reason: 'Succeeded', message: `${outcome.items} items, ${outcome.bytes} bytes${outcome.peer ? ` from ${outcome.peer}` : ''}` });
    } else if (outcome.result === 'failed' && outcome.error) {
      state.setCondition({ ...base, type: ConditionType.replicationFailed, status: 'True', reason: outcome.error.code, message: outcome.error.message });
      state.setCondition({ ...base, type: ConditionType.ready, status: 'False', reason: outcome.error.code, message: outcome.error.message });
    } else if (outcome.result === 'skipped') {
      state.setCondition({ ...base, type: ConditionType.ready, status: 'Unknown', reason: 'OutsideWindow', message: `waiting for the sync window${outcome.nextWindow ? ` (opens ${outcome.nextWindow.toISOString()})` : ''}` });
    }
  }
}
