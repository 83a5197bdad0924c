/**
 * The git domain's face. Today: reading the topology at a revision of a local repository without
 * a checkout (for `ferry diff`). The controller's fetch/poll loop will be added beside it.
 */
export { GitErrorCode } from './errors.js';
export { findGitDir } from './repository.js';
export { parseRevision, resolveRevision, type ParsedRevision } from './revision.js';
export {
  readTopologyAtRevision,
  normaliseTreePath,
  repoRelative,
  type ReadTopologyOptions,
  type TopologySnapshot,
  type TopologyFile,
} from './read-files.js';
