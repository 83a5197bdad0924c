/**
 * The Git source over https: a self-signed certificate (made by `openssl`) is refused with
 * GIT_TLS unless its CA is given; with it, the sync works.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitSource } from '../../src/git/source.js';
import { isFerryError } from '../../src/errors/index.js';
import { createTopologyRepo, startGitServer, type RunningGitServer, type TopologyRepo } from '../helpers/git-server.js';
import { selfSignedCert } from '../helpers/tls-cert.js';

let scratch: string;
let cert: Buffer;
let server: RunningGitServer;
let repo: TopologyRepo;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'ferry-git-tls-'));
  const made = await selfSignedCert(scratch, { keyType: 'ec' });
  cert = made.cert;
  server = await startGitServer({ tls: { key: made.key, cert } });
  repo = await createTopologyRepo({ root: server.root });
  await repo.write('sites.yaml', 'kind: Site\n');
  await repo.commitAndPush('first');
});

afterAll(async () => {
  await repo?.cleanup();
  await server?.stop();
  await rm(scratch, { recursive: true, force: true });
});

describe('createGitSource over https', () => {
  it('an untrusted certificate → GIT_TLS (next: fix)', async () => {
    const err = await createGitSource({ url: `${server.url}/${repo.name}`, dir: join(scratch, 'c1') }).sync().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isFerryError(err, 'GIT_TLS')).toBe(true);
    expect((err as { next: string }).next).toBe('fix');
  });

  it('with the CA trusted, the sync works', async () => {
    const source = createGitSource({ url: `${server.url}/${repo.name}`, dir: join(scratch, 'c2'), ca: cert });
    const { commit, changed } = await source.sync();
    expect(changed).toBe(true);
    expect((await source.readFiles(commit)).map((f) => f.path)).toEqual(['sites.yaml']);
  });
});
