/**
 * The plan domain's face: a site's slice of the topology, the difference between two revisions,
 * and the topology as a graph, plus their renderings for the CLI.
 */
export { planForSite, siteNames } from './site-plan.js';
export { diffPlans, diffTopologies, fieldChanges, replicationKey } from './diff.js';
export { buildGraph, type BuildGraphOptions, type GraphEdge, type GraphNode, type TopologyGraph } from './graph.js';
export { renderMermaid, renderDot } from './render-graph.js';
export { renderPlanText } from './render-plan.js';
export { renderDiffMarkdown, type DiffRenderContext } from './render-diff.js';
export { suggestName } from './suggest.js';
export { PlanErrorCode } from './errors.js';
export {
  DEFAULT_SCHEDULE,
  ReplicationRole,
  SiteChange,
  type ChangedEntry,
  type EntryDiff,
  type FieldChange,
  type PlannedFeed,
  type PlannedIncomingRule,
  type PlannedPeer,
  type PlannedReplication,
  type PlannedUpstream,
  type SiteDiff,
  type SitePlan,
  type TopologyDiff,
} from './types.js';
