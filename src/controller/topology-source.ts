/**
 * Where the controller gets its topology: a Git repository over HTTP(S) (shallow clone + fetch
 * into `<dataDir>/topology-git`, see src/git) or a local repository path (read in place).
 * Either way files are read straight from the commit's tree, never from a worktree, so what is
 * applied is exactly what was committed.
 */
import type { Logger } from 'pino';
import { readTopologyAtRevision } from '../git/index.js';
import type { SiteConfig } from '../topology/index.js';
import type { TopologyFile } from '../topology/index.js';

export interface TopologySource {
  /** Fetches (remote) or re-reads (local) the ref; returns its commit id. */
  sync(): Promise<{ commit: string; changed: boolean }>;
  /** The topology files at `commit` (from the local object database). */
  readFiles(commit: string): Promise<TopologyFile[]>;
}

export interface TopologySourceOptions {
  config: SiteConfig;
  env: NodeJS.ProcessEnv;
  log: Logger;
}

function isRemote(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

function localSource(repo: string, ref: string, path: string): TopologySource {
  let last: string | undefined;
  return {
    async sync() {
      const { commit } = await readTopologyAtRevision({ repo, revision: ref, path, missingPath: 'empty' });
      const changed = commit !== last;
      last = commit;
      return { commit, changed };
    },
    async readFiles(commit) {
      return (await readTopologyAtRevision({ repo, revision: commit, path, missingPath: 'empty' })).files;
    },
  };
}

export function createTopologySource({ config }: TopologySourceOptions): TopologySource {
  const { url, ref = 'main', path = '' } = config.topology;
  if (isRemote(url)) throw new Error('remote topology repositories: pending src/git source');
  return localSource(url, ref, path);
}
