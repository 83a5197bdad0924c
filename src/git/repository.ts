/**
 * Locating the Git directory of a local repository: a worktree (with `.git` as a directory or as
 * a `gitdir:` file, as in linked worktrees and submodules), a subdirectory of one, or a bare
 * repository. Nothing here writes to the repository.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { FerryError } from '../errors/index.js';
import { GitErrorCode } from './errors.js';

const MAX_GITFILE_BYTES = 4096;

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await fsp.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await fsp.stat(p)).isFile();
  } catch {
    return false;
  }
}

/** A bare repository (or a git directory) has HEAD, objects/ and refs/. */
async function isGitDir(p: string): Promise<boolean> {
  return (await isFile(path.join(p, 'HEAD'))) && (await isDirectory(path.join(p, 'objects'))) && (await isDirectory(path.join(p, 'refs')));
}

async function gitDirFromGitFile(file: string): Promise<string | undefined> {
  const stat = await fsp.stat(file);
  if (stat.size > MAX_GITFILE_BYTES) return undefined;
  const match = /^gitdir:\s*(.+?)\s*$/m.exec(await fsp.readFile(file, 'utf8'));
  if (!match?.[1]) return undefined;
  return path.resolve(path.dirname(file), match[1]);
}

/**
 * Returns the absolute git directory for `dir`, walking up from `dir` like `git` does.
 * Throws `GIT_NOT_A_REPOSITORY` when there is none.
 */
export async function findGitDir(dir: string): Promise<string> {
  let current = path.resolve(dir);
  for (;;) {
    const dotGit = path.join(current, '.git');
    if (await isDirectory(dotGit)) return dotGit;
    if (await isFile(dotGit)) {
      const linked = await gitDirFromGitFile(dotGit);
      if (linked !== undefined) return linked;
    }
    if (await isGitDir(current)) return current;
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  throw new FerryError(GitErrorCode.notARepository, `not a Git repository (or any parent): ${dir}`, { data: { dir } });
}
