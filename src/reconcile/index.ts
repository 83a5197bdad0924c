/** The reconcile loop's face: apply a topology commit, schedule replications, conditions. */
export { Reconciler, type ApplyResult, type ReconcilerDeps } from './reconciler.js';
export { ReplicationScheduler, type RunTask, type SchedulerOptions } from './scheduler.js';
export { ConditionType, ResourceKind } from './conditions.js';
export { tasksForPlan, taskFor } from './tasks.js';
export { applyRetention, RETENTION_ORIGIN } from './retention.js';
