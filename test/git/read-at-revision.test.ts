import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GitErrorCode, parseRevision, readTopologyAtRevision } from '../../src/git/index.js';
import { isFerryError } from '../../src/errors/index.js';
import { createTopologyRepo, type TopologyRepo } from '../helpers/topology-repo.js';

async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (isFerryError(err)) return err.code;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('readTopologyAtRevision (real repositories made with git)', () => {
  let repo: TopologyRepo;
  const commits: string[] = [];
  let bare: string;

  beforeAll(() => {
    repo = createTopologyRepo();
    commits.push(repo.commit('one', {
      'topology/a.yaml': 'a: 1\n',
      'topology/sub/deeper/b.yml': 'b: 1\n',
      'topology/notes.md': '# not yaml\n',
      'elsewhere/c.yaml': 'c: 1\n',
    }));
    repo.git('tag', '-a', 'v1', '-m', 'release one');
    repo.git('tag', 'light-one');
    commits.push(repo.commit('two', { 'topology/a.yaml': 'a: 2\n', 'topology/new.YAML': 'n: 1\n' }));
    symlinkSync('a.yaml', path.join(repo.dir, 'topology', 'link.yaml'));
    commits.push(repo.commit('three', { 'topology/sub/deeper/b.yml': null }));
    repo.git('pack-refs', '--all');
    repo.git('gc', '-q');
    // Uncommitted worktree changes must not be read.
    writeFileSync(path.join(repo.dir, 'topology', 'a.yaml'), 'a: dirty\n');
    bare = mkdtempSync(path.join(os.tmpdir(), 'ferry-bare-'));
    execFileSync('git', ['clone', '-q', '--bare', repo.dir, bare]);
  });

  afterAll(() => {
    repo.cleanup();
    rmSync(bare, { recursive: true, force: true });
  });

  it('reads YAML files recursively, sorted, relative to the path, from the object database', async () => {
    const snap = await readTopologyAtRevision({ repo: repo.dir, revision: 'HEAD', path: 'topology' });
    expect(snap.commit).toBe(commits[2]);
    expect(snap.path).toBe('topology');
    // link.yaml is a symlink (skipped); notes.md is not YAML; the dirty worktree is ignored.
    expect(snap.files.map((f) => [f.path, f.content.toString('utf8')])).toEqual([
      ['a.yaml', 'a: 2\n'],
      ['new.YAML', 'n: 1\n'],
    ]);
  });

  it.each([
    ['main', 2],
    ['HEAD', 2],
    ['refs/heads/main', 2],
    ['HEAD~1', 1],
    ['HEAD^', 1],
    ['HEAD~2', 0],
    ['main^^', 0],
    ['HEAD~1^0', 1],
    ['v1', 0],
    ['light-one', 0],
    ['v1~0', 0],
  ])('resolves %s', async (revision, index) => {
    const snap = await readTopologyAtRevision({ repo: repo.dir, revision, path: 'topology' });
    expect(snap.commit).toBe(commits[index]);
  });

  it('resolves full and abbreviated commit ids, also in a bare repository and from a subdirectory', async () => {
    const first = commits[0]!;
    expect((await readTopologyAtRevision({ repo: repo.dir, revision: first, path: 'topology' })).commit).toBe(first);
    expect((await readTopologyAtRevision({ repo: repo.dir, revision: first.slice(0, 7), path: 'topology' })).commit).toBe(first);
    const inBare = await readTopologyAtRevision({ repo: bare, revision: 'v1', path: 'topology' });
    expect(inBare.files.map((f) => f.path)).toEqual(['a.yaml', 'sub/deeper/b.yml']);
    const fromSub = await readTopologyAtRevision({ repo: path.join(repo.dir, 'topology'), revision: 'HEAD~2', path: 'elsewhere' });
    expect(fromSub.files.map((f) => [f.path, f.content.toString('utf8')])).toEqual([['c.yaml', 'c: 1\n']]);
  });

  it('reads the whole repository when no path is given', async () => {
    const snap = await readTopologyAtRevision({ repo: repo.dir, revision: 'v1' });
    expect(snap.files.map((f) => f.path)).toEqual(['elsewhere/c.yaml', 'topology/a.yaml', 'topology/sub/deeper/b.yml']);
  });

  it.each([
    ['no-such-branch', GitErrorCode.revisionNotFound],
    ['HEAD~3', GitErrorCode.revisionNotFound],
    ['HEAD^2', GitErrorCode.revisionNotFound],
    ['deadbeef', GitErrorCode.revisionNotFound],
    ['main..HEAD', GitErrorCode.invalidRevision],
    ['HEAD@{1}', GitErrorCode.invalidRevision],
    ['HEAD:topology', GitErrorCode.invalidRevision],
    ['--upload-pack=x', GitErrorCode.invalidRevision],
    ['', GitErrorCode.invalidRevision],
  ])('rejects revision %j with %s', async (revision, code) => {
    expect(await errorCode(readTopologyAtRevision({ repo: repo.dir, revision, path: 'topology' }))).toBe(code);
  });

  it('reports a missing path, or returns no files when asked to', async () => {
    expect(await errorCode(readTopologyAtRevision({ repo: repo.dir, revision: 'HEAD', path: 'nope' }))).toBe(GitErrorCode.pathNotFound);
    expect(await errorCode(readTopologyAtRevision({ repo: repo.dir, revision: 'HEAD', path: 'topology/a.yaml' }))).toBe(GitErrorCode.pathNotFound);
    expect(await errorCode(readTopologyAtRevision({ repo: repo.dir, revision: 'HEAD', path: '../etc' }))).toBe(GitErrorCode.pathNotFound);
    expect(await errorCode(readTopologyAtRevision({ repo: repo.dir, revision: 'HEAD', path: '/topology' }))).toBe(GitErrorCode.pathNotFound);
    const empty = await readTopologyAtRevision({ repo: repo.dir, revision: 'HEAD', path: 'nope', missingPath: 'empty' });
    expect(empty).toMatchObject({ pathFound: false, files: [] });
  });

  it('enforces the size caps', async () => {
    expect(await errorCode(readTopologyAtRevision({ repo: repo.dir, revision: 'HEAD', path: 'topology', maxFileBytes: 3 }))).toBe(GitErrorCode.tooLarge);
    expect(await errorCode(readTopologyAtRevision({ repo: repo.dir, revision: 'HEAD', path: 'topology', maxFiles: 1 }))).toBe(GitErrorCode.tooLarge);
    expect(await errorCode(readTopologyAtRevision({ repo: repo.dir, revision: 'HEAD', path: 'topology', maxTotalBytes: 7 }))).toBe(GitErrorCode.tooLarge);
    expect(await errorCode(readTopologyAtRevision({ repo: repo.dir, revision: 'v1', path: 'topology', maxDepth: 1 }))).toBe(GitErrorCode.tooLarge);
  });

  it('can leave oversized files out and list them instead of failing', async () => {
    const snap = await readTopologyAtRevision({ repo: repo.dir, revision: 'HEAD', path: 'topology', maxFileBytes: 4, oversize: 'skip' });
    expect(snap.files).toEqual([]);
    expect(snap.oversized).toEqual([{ path: 'a.yaml', size: 5 }, { path: 'new.YAML', size: 5 }]);
  });

  it('says when a directory is not a repository', async () => {
    const plain = mkdtempSync(path.join(os.tmpdir(), 'ferry-not-a-repo-'));
    try {
      expect(await errorCode(readTopologyAtRevision({ repo: plain, revision: 'HEAD' }))).toBe(GitErrorCode.notARepository);
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
  });

  it('parses parent steps', () => {
    expect(parseRevision('main~3^2')).toEqual({ base: 'main', steps: [1, 1, 1, 2] });
    expect(parseRevision('v1.0')).toEqual({ base: 'v1.0', steps: [] });
  });

  it('refuses a parent that a shallow clone does not have, and says the clone is shallow', async () => {
    const shallow = mkdtempSync(path.join(os.tmpdir(), 'ferry-shallow-'));
    try {
      execFileSync('git', ['clone', '-q', '--depth', '1', `file://${repo.dir}`, shallow]);
      expect((await readTopologyAtRevision({ repo: shallow, revision: 'HEAD', path: 'topology' })).commit).toBe(commits[2]);
      let caught: unknown;
      try {
        await readTopologyAtRevision({ repo: shallow, revision: 'HEAD~1', path: 'topology' });
      } catch (err) {
        caught = err;
      }
      expect(isFerryError(caught, GitErrorCode.revisionNotFound)).toBe(true);
      expect((caught as { data: { shallow: boolean } }).data.shallow).toBe(true);
    } finally {
      rmSync(shallow, { recursive: true, force: true });
    }
  });
});
