/**
 * Condition types and reasons (Flux-style). Steps never write conditions themselves: they
 * return results, and `applyStepResults` in reconciler.ts is the one place that turns results
 * into conditions in the state DB.
 */
export const ConditionType = {
  ready: 'Ready',
  reconciling: 'Reconciling',
  stalled: 'Stalled',
  fetchFailed: 'FetchFailed',
  replicationFailed: 'ReplicationFailed',
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

export const ResourceKind = {
  site: 'Site',
  feed: 'Feed',
  replication: 'Replication',
  topology: 'Topology',
} as const;

export interface ResourceResult {
  kind: string;
  name: string;
  ok: boolean;
  reason: string;
  message: string;
}
