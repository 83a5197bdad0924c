/**
 * The transport under the Git source: timeouts on a server that never answers, redirects (and
 * dropping credentials when one leaves the origin), against real loopback servers.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitSource } from '../../src/git/source.js';
import { isFerryError } from '../../src/errors/index.js';
import { createTopologyRepo, startGitServer, type RunningGitServer, type TopologyRepo } from '../helpers/git-server.js';

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

let scratch: string;
let git: RunningGitServer;
let repo: TopologyRepo;
const auth = { username: 'ferry', password: 'pw-for-redirects' };

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'ferry-git-http-'));
  git = await startGitServer({ auth });
  repo = await createTopologyRepo({ root: git.root });
  await repo.write('sites.yaml', 'kind: Site\n');
  await repo.commitAndPush('first');
});

afterAll(async () => {
  await repo?.cleanup();
  await git?.stop();
  await rm(scratch, { recursive: true, force: true });
});

describe('git transport', () => {
  it('a server that accepts but never answers → GIT_CONNECTION after timeoutMs', async () => {
    const { server, url } = await listen(() => undefined);
    try {
      const started = Date.now();
      const err = await createGitSource({ url: `${url}/topology.git`, dir: join(scratch, 'stall'), timeoutMs: 300 }).sync().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isFerryError(err, 'GIT_CONNECTION')).toBe(true);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await close(server);
    }
  });

  it('a 5xx answer → GIT_CONNECTION (backoff)', async () => {
    const { server, url } = await listen((_req, res) => void res.writeHead(502).end());
    try {
      const err = await createGitSource({ url: `${url}/topology.git`, dir: join(scratch, 'bad-gateway') }).sync().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isFerryError(err, 'GIT_CONNECTION')).toBe(true);
      expect((err as { next: string }).next).toBe('backoff');
    } finally {
      await close(server);
    }
  });

  it('follows a same-origin redirect with credentials and drops them on a cross-origin one', async () => {
    const seen: IncomingHttpHeaders[] = [];
    // A front server that moved the repository: same origin → /moved/…, which proxies nothing but
    // redirects again to the real git server (another origin).
    const { server, url } = await listen((req, res) => {
      seen.push(req.headers);
      const path = req.url ?? '/';
      if (path.startsWith('/old/')) return void res.writeHead(301, { location: path.replace('/old/', '/moved/') }).end();
      return void res.writeHead(302, { location: `${git.url}${path.replace('/moved/', '/')}` }).end();
    });
    try {
      const source = createGitSource({ url: `${url}/old/${repo.name}`, dir: join(scratch, 'redirect'), credentials: auth });
      const err = await source.sync().then(
        () => undefined,
        (e: unknown) => e,
      );
      // The git server needs the credentials; they were dropped on the way to another origin.
      expect(isFerryError(err, 'GIT_AUTH')).toBe(true);
      expect(seen.length).toBeGreaterThanOrEqual(2);
      expect(seen.every((h) => typeof h.authorization === 'string')).toBe(true);
      const atGit = git.requests.at(-1);
      expect(atGit?.status).toBe(401);
    } finally {
      await close(server);
    }
  });

  it('follows a moved repository (301 on info/refs) for the whole fetch, credentials kept on the same origin', async () => {
    const moved = await startGitServer({ auth, movedPrefix: 'old' });
    const movedRepo = await createTopologyRepo({ root: moved.root });
    try {
      await movedRepo.write('sites.yaml', 'kind: Site\n');
      const head = await movedRepo.commitAndPush('first');
      const source = createGitSource({ url: `${moved.url}/old/${movedRepo.name}`, dir: join(scratch, 'moved'), credentials: auth });
      const { commit: synced } = await source.sync();
      expect(synced).toBe(head);
      expect((await source.readFiles(synced)).map((f) => f.path)).toEqual(['sites.yaml']);
      const posts = moved.requests.filter((r) => r.method === 'POST');
      expect(posts.length).toBeGreaterThan(0);
      expect(posts.every((r) => r.status === 200 && !r.path.startsWith('/old/'))).toBe(true);
    } finally {
      await movedRepo.cleanup();
      await moved.stop();
    }
  });
});
