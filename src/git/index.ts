/**
 * The git domain's face: reading the topology at any revision of a local repository without a
 * checkout (`readTopologyAtRevision`, for `ferry diff`), and the controller's source of the
 * topology repository (fetch, poll, webhook triggers, commit verification).
 */
export { GitErrorCode } from './errors.js';
export { findGitDir } from './repository.js';
export { parseRevision, resolveRevision, type ParsedRevision } from './revision.js';
export {
  readTopologyAtRevision,
  DEFAULT_MAX_FILE_BYTES,
  normaliseTreePath,
  repoRelative,
  type ReadTopologyOptions,
  type TopologySnapshot,
  type TopologyFile,
} from './read-files.js';
export { createGitSource, isRemoteUrl, type GitSource, type GitSourceOptions, type GitCredentials, type GitSourceLimits, type SyncResult } from './source.js';
export { GitSourceErrorCode, toGitSourceError } from './source-errors.js';
export { createGitHttpClient, type GitHttpClientOptions } from './fetch-http.js';
export { createCommitVerifier, loadTrustedKeys, type CommitVerifier, type UntrustedReason } from './verify.js';
export { createGitPoller, type GitPoller, type GitPollerOptions } from './source-poller.js';
export { createGitWebhookHandler, createGitWebhookRouter, WEBHOOK_PATH, type GitWebhookOptions } from './webhook.js';
export { verifyWebhook, hmacMatches, secretMatches, WebhookProvider, type WebhookVerdict, type WebhookKind } from './webhook-verify.js';
