/**
 * Real Git repositories for tests, made with the `git` CLI (a peer: tests fail if it is missing).
 * `commit(files)` writes/removes files under the worktree and commits them; returns the commit id.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TopologyRepo {
  dir: string;
  git(...args: string[]): string;
  /** Writes `files` (content) or deletes them (`null`), then commits everything; returns the commit id. */
  commit(message: string, files: Record<string, string | null>): string;
  /** Copies a directory (e.g. an example) into the worktree at `to`. */
  copyDir(from: string, to: string): void;
  cleanup(): void;
}

export function createTopologyRepo(prefix = 'ferry-topology-repo-'): TopologyRepo {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'Test',
    GIT_AUTHOR_EMAIL: 'test@example.invalid',
    GIT_COMMITTER_NAME: 'Test',
    GIT_COMMITTER_EMAIL: 'test@example.invalid',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
  };
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: dir, env, encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  return {
    dir,
    git,
    commit(message, files) {
      for (const [rel, content] of Object.entries(files)) {
        const abs = path.join(dir, rel);
        if (content === null) rmSync(abs, { force: true });
        else {
          mkdirSync(path.dirname(abs), { recursive: true });
          writeFileSync(abs, content);
        }
      }
      git('add', '-A');
      git('commit', '-q', '--allow-empty', '-m', message);
      return git('rev-parse', 'HEAD');
    },
    copyDir(from, to) {
      cpSync(from, path.join(dir, to), { recursive: true });
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
