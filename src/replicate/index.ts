/** Replication jobs (pull, push, mirror, upstream), their runner, filters, windows, bandwidth. */
export { runReplication, type RunOptions, type RunOutcome } from './runner.js';
export { createRateLimiter, type RateLimiter } from './bandwidth.js';
export { compileFilter, type CompiledFilter } from './filter.js';
export { isWithinWindows, nextWindowOpen } from './window.js';
export { ReplicationErrorCode } from './errors.js';
export { originOf, type ReplicationTask, type PeerSite, type UpstreamSource, type JobContext } from './types.js';
export { createClientPool, type ClientPool } from './transfer.js';
