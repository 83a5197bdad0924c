/**
 * Revision parsing and resolution, a small subset of gitrevisions(7) that covers what CI passes:
 * `HEAD`, branch names (`main`, `origin/main`, `refs/heads/main`), tags (annotated tags are
 * peeled), full and abbreviated (>= 4 hex) commit ids, each optionally followed by any number of
 * `~`, `~N`, `^`, `^N` parent steps (`HEAD~1`, `main^2`, `v1.0~2^`).
 * Not supported (rejected with GIT_INVALID_REVISION): ranges, `@{…}`, `:path`, `^{…}`.
 */
import fs from 'node:fs';
import path from 'node:path';
import git from 'isomorphic-git';
import { FerryError } from '../errors/index.js';
import { GitErrorCode } from './errors.js';

export interface ParsedRevision {
  base: string;
  /** Parent steps in order: `{parent: 1}` is `^` (first parent); `~3` becomes three first-parent steps. */
  steps: number[];
}

const MAX_REVISION_LENGTH = 256;
const MAX_STEPS = 10_000;
/** A conservative ref-name / oid charset (git-check-ref-format plus `HEAD`). */
const BASE_PATTERN = /^(?!.*\.\.)(?!.*\/\/)(?!\/)(?!.*\/$)(?!.*\.lock$)[A-Za-z0-9._\/-]+$/;

function invalid(revision: string, reason: string): FerryError {
  return new FerryError(GitErrorCode.invalidRevision, `unsupported revision ${JSON.stringify(revision)}: ${reason}`, {
    data: { revision },
  });
}

/** Splits `base~2^` into a base and parent steps. Throws GIT_INVALID_REVISION. */
export function parseRevision(revision: string): ParsedRevision {
  if (revision.length === 0 || revision.length > MAX_REVISION_LENGTH) throw invalid(revision, 'empty or too long');
  const match = /^([^~^]+)((?:[~^]\d*)*)$/.exec(revision);
  if (!match?.[1]) throw invalid(revision, 'expected REF or COMMIT followed by ~N / ^N');
  const base = match[1];
  if (!BASE_PATTERN.test(base) || base.startsWith('-')) throw invalid(revision, 'not a ref name or commit id');
  const steps: number[] = [];
  for (const [, op, digits] of (match[2] ?? '').matchAll(/([~^])(\d*)/g)) {
    const n = digits === undefined || digits === '' ? 1 : Number(digits);
    if (!Number.isSafeInteger(n) || n > MAX_STEPS) throw invalid(revision, 'parent step too large');
    if (op === '^') steps.push(n);
    else for (let i = 0; i < n; i++) steps.push(1);
    if (steps.length > MAX_STEPS) throw invalid(revision, 'too many parent steps');
  }
  return { base, steps };
}

function isNotFound(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'NotFoundError' || code === 'AmbiguousError' || code === 'ObjectTypeError' || code === 'InvalidOidError';
}

function notFound(gitdir: string, revision: string, detail: string, cause?: unknown): FerryError {
  // CI checkouts are often shallow: the commit exists upstream but not in this clone.
  const shallow = fs.existsSync(path.join(gitdir, 'shallow'));
  const hint = shallow ? ' (this clone is shallow: fetch more history, e.g. `git fetch --unshallow` or fetch-depth: 0)' : '';
  return new FerryError(GitErrorCode.revisionNotFound, `revision ${JSON.stringify(revision)} not found: ${detail}${hint}`, {
    data: { revision, shallow },
    cause,
  });
}

async function resolveBase(gitdir: string, base: string, cache: object): Promise<string> {
  try {
    return await git.resolveRef({ fs, gitdir, ref: base });
  } catch (err) {
    if (!isNotFound(err) || !/^[0-9a-f]{4,40}$/i.test(base)) throw err;
  }
  // Not a ref: an (abbreviated) object id.
  return git.expandOid({ fs, gitdir, oid: base.toLowerCase(), cache });
}

/**
 * Resolves `revision` to a commit id in the repository at `gitdir`.
 * Throws GIT_INVALID_REVISION for unsupported syntax, GIT_REVISION_NOT_FOUND when it names nothing,
 * names a non-commit, or steps past the first commit.
 */
export async function resolveRevision(gitdir: string, revision: string, cache: object = {}): Promise<string> {
  const { base, steps } = parseRevision(revision);
  let oid: string;
  try {
    // readCommit peels annotated tags and checks that the object is a commit.
    oid = (await git.readCommit({ fs, gitdir, oid: await resolveBase(gitdir, base, cache), cache })).oid;
  } catch (err) {
    if (isNotFound(err)) throw notFound(gitdir, revision, `no ref or commit named ${JSON.stringify(base)}`, err);
    throw err;
  }
  for (const [i, parentIndex] of steps.entries()) {
    if (parentIndex === 0) continue; // `^0` is the commit itself
    const { commit } = await git.readCommit({ fs, gitdir, oid, cache });
    const parent = commit.parent[parentIndex - 1];
    if (parent === undefined) throw notFound(gitdir, revision, `commit ${oid.slice(0, 12)} has no parent #${parentIndex} (step ${i + 1})`);
    // The parent id comes from the child; its object may be missing (a shallow clone's boundary).
    try {
      await git.readCommit({ fs, gitdir, oid: parent, cache });
    } catch (err) {
      if (isNotFound(err)) throw notFound(gitdir, revision, `commit ${parent.slice(0, 12)} is not in this repository`, err);
      throw err;
    }
    oid = parent;
  }
  return oid;
}
