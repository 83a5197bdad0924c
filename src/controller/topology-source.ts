/**
 * Where the controller gets its topology: the Git source of src/git — a repository over
 * HTTP(S) (shallow clone + fetch of the ref into `<dataDir>/topology-git`) or a local repository
 * path (read in place). Files are read straight from the commit's tree, never from a worktree,
 * so what is applied is exactly what was committed. With `topology.verifyCommits`, only commits
 * signed by a trusted key are returned.
 *
 * Git credentials (`topology.credentials.secretRef`) hold a token, or `user:password`.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createGitSource, createCommitVerifier, loadTrustedKeys, type GitSource } from '../git/index.js';
import type { SiteConfig } from '../topology/index.js';
import { credentialsFromSecret, resolveSecret } from '../util/secret.js';

export type TopologySource = Pick<GitSource, 'sync' | 'readFiles' | 'displayUrl'>;

export interface TopologySourceOptions {
  config: SiteConfig;
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** The commit applied before a restart: the first sync reports `changed` against it. */
  knownCommit?: string;
}

export async function createTopologySource({ config, env, log, knownCommit }: TopologySourceOptions): Promise<TopologySource> {
  const { url, ref = 'main', path = '', credentials, verifyCommits } = config.topology;
  const gitCredentials = credentials ? credentialsFromSecret(resolveSecret(credentials.secretRef, env)) : undefined;
  const verifier = verifyCommits ? createCommitVerifier({ keys: await loadTrustedKeys(verifyCommits.keys) }) : undefined;
  return createGitSource({
    url,
    ref,
    path: path === '.' ? '' : path,
    dir: join(config.dataDir, 'topology-git'),
    missingPath: 'empty',
    log,
    ...(gitCredentials ? { credentials: gitCredentials } : {}),
    ...(verifier ? { verifier } : {}),
    ...(knownCommit ? { knownCommit } : {}),
  });
}
