/**
 * The Git source against a real `git http-backend` (test/helpers/git-server.ts) and real repos.
 */
import { mkdtemp, readdir, rm, truncate } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitSource } from '../../src/git/source.js';
import { isFerryError } from '../../src/errors/index.js';
import { createTopologyRepo, startGitServer, type RunningGitServer, type TopologyRepo } from '../helpers/git-server.js';

const SITE = 'apiVersion: ferry/v1\nkind: Site\nmetadata: {name: hub}\nspec: {url: "http://127.0.0.1:1"}\n';
const FEED = 'apiVersion: ferry/v1\nkind: Feed\nmetadata: {name: containers}\nspec: {type: oci, sites: [hub]}\n';
const auth = { username: 'ferry', password: 's3cret-pass' };

let server: RunningGitServer;
let repo: TopologyRepo;
let scratch: string;
let repoUrl: string;
let firstCommit: string;
let cacheCount = 0;

const cacheDir = (): string => join(scratch, `cache-${cacheCount++}`);

async function expectCode(promise: Promise<unknown>, code: string): Promise<Error> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isFerryError(err), `expected FerryError ${code}, got ${String(err)}`).toBe(true);
  expect((err as { code: string }).code).toBe(code);
  return err as Error;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'ferry-git-source-'));
  server = await startGitServer({ auth });
  repo = await createTopologyRepo({ root: server.root });
  repoUrl = `${server.url}/${repo.name}`;
  await repo.write('topology/sites.yaml', SITE);
  await repo.write('topology/feeds/containers.yml', FEED);
  await repo.write('topology/README.md', '# not topology\n');
  await repo.write('other/ignored.yaml', 'x: 1\n');
  firstCommit = await repo.commitAndPush('initial topology');
});

afterAll(async () => {
  await repo?.cleanup();
  await server?.stop();
  await rm(scratch, { recursive: true, force: true });
});

describe('createGitSource over smart HTTP', () => {
  it('clones on first sync and reads only the YAML files under the path, from the tree', async () => {
    const source = createGitSource({ url: repoUrl, path: 'topology', dir: cacheDir(), credentials: auth });
    const result = await source.sync();
    expect(result).toEqual({ commit: firstCommit, changed: true });
    const files = await source.readFiles(result.commit);
    expect(files.map((f) => f.path)).toEqual(['feeds/containers.yml', 'sites.yaml']);
    expect(String(files.find((f) => f.path === 'sites.yaml')?.content)).toBe(SITE);
  });

  it('detects a pushed commit, and an idle sync costs one request and reports no change', async () => {
    const dir = cacheDir();
    const requests: string[] = [];
    const source = createGitSource({ url: repoUrl, path: 'topology', dir, credentials: auth, onRequest: (m, u) => requests.push(`${m} ${u}`) });
    expect((await source.sync()).changed).toBe(true);

    requests.length = 0;
    const before = server.requests.length;
    expect(await source.sync()).toEqual({ commit: firstCommit, changed: false });
    expect(server.requests.length - before).toBe(1);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatch(/^GET .*\/info\/refs\?service=git-upload-pack$/);

    await repo.write('topology/sites.yaml', SITE.replace('hub', 'hub-us'));
    const second = await repo.commitAndPush('rename hub');
    const synced = await source.sync();
    expect(synced).toEqual({ commit: second, changed: true });
    const files = await source.readFiles(second);
    expect(String(files.find((f) => f.path === 'sites.yaml')?.content)).toContain('hub-us');
    // The old commit stays readable from the cache (last-known-good re-apply).
    expect(String((await source.readFiles(firstCommit)).find((f) => f.path === 'sites.yaml')?.content)).toBe(SITE);

    // A fresh source object on the same cache (a restart) fetches nothing: one request.
    const restarted = createGitSource({ url: repoUrl, path: 'topology', dir, credentials: auth, knownCommit: second });
    const mark = server.requests.length;
    expect(await restarted.sync()).toEqual({ commit: second, changed: false });
    expect(server.requests.length - mark).toBe(1);
  });

  it('a pack damaged in the cache (crash mid-write): the next sync fetches the commit again', async () => {
    const dir = cacheDir();
    const { commit } = await createGitSource({ url: repoUrl, path: 'topology', dir, credentials: auth }).sync();
    const packDir = join(dir, 'repo.git', 'objects', 'pack');
    for (const file of await readdir(packDir)) if (file.endsWith('.pack')) await truncate(join(packDir, file), 40);
    const restarted = createGitSource({ url: repoUrl, path: 'topology', dir, credentials: auth });
    expect((await restarted.sync()).commit).toBe(commit);
    expect((await restarted.readFiles(commit)).map((f) => f.path)).toContain('sites.yaml');
  });

  it('concurrent syncs never overlap and agree on the commit', async () => {
    const source = createGitSource({ url: repoUrl, dir: cacheDir(), credentials: auth });
    const results = await Promise.all([source.sync(), source.sync(), source.sync()]);
    expect(new Set(results.map((r) => r.commit)).size).toBe(1);
    expect(results.map((r) => r.changed)).toEqual([true, false, false]);
  });

  it.each([
    ['wrong password', { username: 'ferry', password: 'wrong-password-xyz' }],
    ['no credentials', undefined],
  ])('%s → GIT_AUTH without leaking the secret', async (_name, credentials) => {
    const source = createGitSource({ url: repoUrl, dir: cacheDir(), ...(credentials ? { credentials } : {}) });
    const err = await expectCode(source.sync(), 'GIT_AUTH');
    expect(err.message).not.toContain('wrong-password-xyz');
    expect(JSON.stringify(err)).not.toContain('wrong-password-xyz');
  });

  it('credentials in the URL never reach the error message', async () => {
    const url = repoUrl.replace('http://', 'http://ferry:url-secret-123@').replace('topology.git', 'missing.git');
    const err = await expectCode(createGitSource({ url, dir: cacheDir() }).sync(), 'GIT_AUTH');
    expect(err.message).not.toContain('url-secret-123');
  });

  it('user info in the URL authenticates (and wins over credentials)', async () => {
    const url = repoUrl.replace('http://', `http://${auth.username}:${auth.password}@`);
    const source = createGitSource({ url, dir: cacheDir(), credentials: { password: 'ignored-wrong' } });
    expect((await source.sync()).commit).toMatch(/^[0-9a-f]{40}$/);
    expect(source.displayUrl).not.toContain(auth.password);
  });

  it('a missing ref → GIT_NOT_FOUND', async () => {
    const source = createGitSource({ url: repoUrl, ref: 'no-such-branch', dir: cacheDir(), credentials: auth });
    await expectCode(source.sync(), 'GIT_NOT_FOUND');
  });

  it('a missing repository → GIT_NOT_FOUND', async () => {
    const source = createGitSource({ url: `${server.url}/nope.git`, dir: cacheDir(), credentials: auth });
    await expectCode(source.sync(), 'GIT_NOT_FOUND');
  });

  it('an unreachable server → GIT_CONNECTION with next: backoff', async () => {
    const port = await freePort();
    const source = createGitSource({ url: `http://127.0.0.1:${port}/topology.git`, dir: cacheDir(), timeoutMs: 2_000 });
    const err = await expectCode(source.sync(), 'GIT_CONNECTION');
    expect((err as unknown as { next: string }).next).toBe('backoff');
  });

  it('a file over the size cap → GIT_TOO_LARGE', async () => {
    const source = createGitSource({ url: repoUrl, path: 'topology', dir: cacheDir(), credentials: auth, limits: { maxFileBytes: 10 } });
    const { commit } = await source.sync();
    await expectCode(source.readFiles(commit), 'GIT_TOO_LARGE');
  });

  it('a response over the cap → GIT_RESPONSE_TOO_LARGE', async () => {
    const source = createGitSource({ url: repoUrl, dir: cacheDir(), credentials: auth, limits: { maxResponseBytes: 64 } });
    await expectCode(source.sync(), 'GIT_RESPONSE_TOO_LARGE');
  });
});

describe('createGitSource on a local path', () => {
  it('reads the working copy repository in place and follows new commits', async () => {
    const source = createGitSource({ url: repo.workDir, path: 'topology', dir: cacheDir() });
    const head = await repo.git(['rev-parse', 'HEAD']);
    expect(await source.sync()).toEqual({ commit: head, changed: true });
    expect(await source.sync()).toEqual({ commit: head, changed: false });
    await repo.write('topology/extra.yaml', FEED.replace('containers', 'files'));
    const next = await repo.commitAndPush('add feed');
    expect(await source.sync()).toEqual({ commit: next, changed: true });
    expect((await source.readFiles(next)).map((f) => f.path)).toContain('extra.yaml');
  });

  it('a missing local repository or ref → GIT_NOT_FOUND', async () => {
    await expectCode(createGitSource({ url: join(scratch, 'no-repo-here'), dir: cacheDir() }).sync(), 'GIT_NOT_FOUND');
    await expectCode(createGitSource({ url: repo.bareDir, ref: 'nope', dir: cacheDir() }).sync(), 'GIT_NOT_FOUND');
  });
});

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}
