/**
 * The topology domain: parse YAML with positions, schema and semantic validation, the typed
 * model, and site resolution. Contract used by src/plan, src/reconcile and the CLI.
 */
export * from './model.js';
export { loadTopologyDir, loadTopologyFiles, type LoadResult, type TopologyFile } from './load.js';
export type { LoadOptions } from './options.js';
export { selectSites, feedHosts, replicationTargets, matchesSelector } from './select.js';
export { IssueCode } from './codes.js';
export { validateSiteConfig, type SiteConfigResult } from './site-config.js';
export { SCHEMA_DIR, SchemaFiles } from './schemas.js';
