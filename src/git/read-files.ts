/**
 * Reads the topology files under a path at a revision straight from the object database, without
 * a worktree checkout (PEERS.md: a checkout costs ~1 s per 5,000 files even when nothing changed).
 * The result feeds `loadTopologyFiles()` of src/topology.
 */
import fs from 'node:fs';
import path from 'node:path';
import git from 'isomorphic-git';
import { FerryError } from '../errors/index.js';
import { GitErrorCode } from './errors.js';
import { findGitDir } from './repository.js';
import { resolveRevision } from './revision.js';

/**
 * One topology file: `path` relative to the topology path, forward slashes; `content` the raw
 * bytes (the loader checks the encoding and reports non-UTF-8 files at their path).
 */
export interface TopologyFile {
  path: string;
  content: Buffer;
}

export interface ReadTopologyOptions {
  /** The repository: a worktree, a directory inside one, or a bare repository. */
  repo: string;
  /** A revision (see revision.ts): `HEAD`, `main`, `v1.2`, `3f2a9c1`, `HEAD~1`. */
  revision: string;
  /** Directory inside the repository holding the topology; default the repository root. */
  path?: string;
  /** Cap per file, checked on the blob read (topology files are small YAML). Default 1 MiB. */
  maxFileBytes?: number;
  /** Cap on the number of YAML files. Default 20,000. */
  maxFiles?: number;
  /** Cap on the sum of the YAML files' sizes. Default 64 MiB. */
  maxTotalBytes?: number;
  /** Cap on directory depth below the topology path. Default 32. */
  maxDepth?: number;
  /** When the path does not exist at the revision: throw (default) or return no files. */
  missingPath?: 'error' | 'empty';
  /**
   * A file over `maxFileBytes`: throw GIT_TOO_LARGE (default), or leave it out and list it in
   * `oversized` so the caller can report it as a validation problem at its path.
   */
  oversize?: 'error' | 'skip';
}

export interface TopologySnapshot {
  /** The full commit id the revision resolved to. */
  commit: string;
  /** The topology path inside the repository, normalised ('' for the root). */
  path: string;
  /** False when `missingPath: 'empty'` was used and the path did not exist. */
  pathFound: boolean;
  /** Sorted by path. */
  files: TopologyFile[];
  /** Files left out for being over `maxFileBytes` (only with `oversize: 'skip'`), sorted by path. */
  oversized: Array<{ path: string; size: number }>;
}

/** Default cap per topology file, the same as the topology loader's. */
export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;

const YAML_FILE = /\.ya?ml$/i;
const MODE_TREE = '040000';
const BLOB_MODES = new Set(['100644', '100755']);

/** Normalises a repository-relative directory; rejects absolute paths and `..`. */
export function normaliseTreePath(p: string | undefined): string {
  const raw = (p ?? '').replace(/\\/g, '/');
  if (raw.startsWith('/')) throw new FerryError(GitErrorCode.pathNotFound, 'the topology path must be relative to the repository root', { data: { path: raw } });
  const parts = raw.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.some((part) => part === '..')) throw new FerryError(GitErrorCode.pathNotFound, "the topology path must not contain '..'", { data: { path: raw } });
  return parts.join('/');
}

interface Walk {
  gitdir: string;
  cache: object;
  limits: Required<Pick<ReadTopologyOptions, 'maxFileBytes' | 'maxFiles' | 'maxTotalBytes' | 'maxDepth'>>;
  files: TopologyFile[];
  oversized: Array<{ path: string; size: number }>;
  skipOversize: boolean;
  totalBytes: number;
}

function tooLarge(message: string, data: Record<string, unknown>): FerryError {
  return new FerryError(GitErrorCode.tooLarge, message, { data });
}

async function readYamlBlob(walk: Walk, oid: string, filePath: string): Promise<void> {
  if (walk.files.length >= walk.limits.maxFiles) throw tooLarge(`more than ${walk.limits.maxFiles} topology files`, { maxFiles: walk.limits.maxFiles });
  // isomorphic-git inflates the whole object; topology files are small and the cap bounds it.
  const { blob } = await git.readBlob({ fs, gitdir: walk.gitdir, oid, cache: walk.cache });
  if (blob.byteLength > walk.limits.maxFileBytes) {
    if (walk.skipOversize) {
      walk.oversized.push({ path: filePath, size: blob.byteLength });
      return;
    }
    throw tooLarge(`${filePath} is ${blob.byteLength} bytes, over the ${walk.limits.maxFileBytes}-byte cap`, { file: filePath, size: blob.byteLength });
  }
  walk.totalBytes += blob.byteLength;
  if (walk.totalBytes > walk.limits.maxTotalBytes) throw tooLarge(`topology files exceed ${walk.limits.maxTotalBytes} bytes in total`, { maxTotalBytes: walk.limits.maxTotalBytes });
  walk.files.push({ path: filePath, content: Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength) });
}

async function walkTree(walk: Walk, treeOid: string, prefix: string, depth: number): Promise<void> {
  if (depth > walk.limits.maxDepth) throw tooLarge(`topology directories nest deeper than ${walk.limits.maxDepth}`, { dir: prefix });
  const { tree } = await git.readTree({ fs, gitdir: walk.gitdir, oid: treeOid, cache: walk.cache });
  for (const entry of tree) {
    const entryPath = prefix === '' ? entry.path : `${prefix}/${entry.path}`;
    // Symlinks (120000) and submodules (160000) are skipped: their targets are not in this tree.
    if (entry.mode === MODE_TREE) await walkTree(walk, entry.oid, entryPath, depth + 1);
    else if (BLOB_MODES.has(entry.mode) && YAML_FILE.test(entry.path)) await readYamlBlob(walk, entry.oid, entryPath);
  }
}

async function subtreeOid(gitdir: string, commit: string, treePath: string, cache: object): Promise<string | undefined> {
  try {
    return (await git.readTree({ fs, gitdir, oid: commit, ...(treePath ? { filepath: treePath } : {}), cache })).oid;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'NotFoundError' || code === 'ObjectTypeError') return undefined;
    throw err;
  }
}

/**
 * Returns every `*.yaml`/`*.yml` regular file below `path` at `revision`, recursively, sorted by
 * path. Throws FerryError GIT_NOT_A_REPOSITORY, GIT_INVALID_REVISION, GIT_REVISION_NOT_FOUND,
 * GIT_PATH_NOT_FOUND or GIT_TOO_LARGE; never writes to the repository.
 */
export async function readTopologyAtRevision(options: ReadTopologyOptions): Promise<TopologySnapshot> {
  const gitdir = await findGitDir(options.repo);
  const cache = {};
  const commit = await resolveRevision(gitdir, options.revision, cache);
  const treePath = normaliseTreePath(options.path);
  const oid = await subtreeOid(gitdir, commit, treePath, cache);
  if (oid === undefined) {
    if (options.missingPath === 'empty') return { commit, path: treePath, pathFound: false, files: [], oversized: [] };
    throw new FerryError(GitErrorCode.pathNotFound, `path ${JSON.stringify(treePath)} is not a directory at ${options.revision}`, {
      data: { path: treePath, revision: options.revision },
    });
  }
  const walk: Walk = {
    gitdir,
    cache,
    limits: {
      maxFileBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
      maxFiles: options.maxFiles ?? 20_000,
      maxTotalBytes: options.maxTotalBytes ?? 64 * 1024 * 1024,
      maxDepth: options.maxDepth ?? 32,
    },
    files: [],
    oversized: [],
    skipOversize: options.oversize === 'skip',
    totalBytes: 0,
  };
  await walkTree(walk, oid, '', 0);
  walk.files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  walk.oversized.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { commit, path: treePath, pathFound: true, files: walk.files, oversized: walk.oversized };
}

/** Joins a topology path and a file path for display (`topology/sites.yaml`). */
export function repoRelative(treePath: string, file: string): string {
  return treePath === '' ? file : path.posix.join(treePath, file);
}
