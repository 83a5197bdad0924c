/**
 * Signed-commit verification with real keys made by `gpg` (throwaway GNUPGHOME) and commits
 * signed by `git commit -S`, fetched through `git http-backend`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitSource } from '../../src/git/source.js';
import { createCommitVerifier, loadTrustedKeys } from '../../src/git/verify.js';
import { isFerryError } from '../../src/errors/index.js';
import { createTopologyRepo, startGitServer, type RunningGitServer, type TopologyRepo } from '../helpers/git-server.js';

const run = promisify(execFile);

interface Signer {
  home: string;
  fingerprint: string;
  publicKeyFile: string;
}

async function makeSigner(dir: string, name: string): Promise<Signer> {
  const home = join(dir, `gnupg-${name}`);
  await run('mkdir', ['-m', '700', home]);
  const env = { ...process.env, GNUPGHOME: home };
  const uid = `${name} <${name}@example.invalid>`;
  await run('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', uid, 'ed25519', 'sign', 'never'], { env });
  const { stdout } = await run('gpg', ['--batch', '--with-colons', '--list-secret-keys', uid], { env });
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(stdout)?.[1];
  if (!fingerprint) throw new Error(`no fingerprint in gpg output: ${stdout}`);
  const { stdout: armored } = await run('gpg', ['--batch', '--armor', '--export', fingerprint], { env });
  const publicKeyFile = join(dir, `${name}.asc`);
  await writeFile(publicKeyFile, armored);
  return { home, fingerprint, publicKeyFile };
}

let scratch: string;
let server: RunningGitServer;
let repo: TopologyRepo;
let trusted: Signer;
let stranger: Signer;
let n = 0;

async function codeAndReason(promise: Promise<unknown>): Promise<[string, unknown]> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isFerryError(err)) throw new Error(`expected a FerryError, got ${String(err)}`);
  return [err.code, err.data.reason];
}

async function source(): Promise<ReturnType<typeof createGitSource>> {
  const verifier = createCommitVerifier({ keys: await loadTrustedKeys([trusted.publicKeyFile]) });
  return createGitSource({ url: `${server.url}/${repo.name}`, dir: join(scratch, `cache-${n++}`), verifier });
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'ferry-git-verify-'));
  [trusted, stranger] = await Promise.all([makeSigner(scratch, 'trusted'), makeSigner(scratch, 'stranger')]);
  server = await startGitServer();
  repo = await createTopologyRepo({ root: server.root });
});

afterAll(async () => {
  for (const signer of [trusted, stranger]) {
    if (signer) await run('gpgconf', ['--kill', 'gpg-agent'], { env: { ...process.env, GNUPGHOME: signer.home } }).catch(() => undefined);
  }
  await repo?.cleanup();
  await server?.stop();
  await rm(scratch, { recursive: true, force: true });
});

describe('signed-commit verification', () => {
  it('accepts a commit signed by a trusted key', async () => {
    await repo.write('sites.yaml', 'kind: Site\n');
    const commit = await repo.commitAndPush('signed', { signingKey: trusted.fingerprint, gnupgHome: trusted.home });
    expect(await (await source()).sync()).toEqual({ commit, changed: true });
  });

  it('refuses an unsigned commit', async () => {
    await repo.write('sites.yaml', 'kind: Site\n# unsigned\n');
    await repo.commitAndPush('unsigned');
    expect(await codeAndReason((await source()).sync())).toEqual(['GIT_UNTRUSTED_COMMIT', 'unsigned']);
  });

  it('refuses a commit signed by a key that is not trusted', async () => {
    await repo.write('sites.yaml', 'kind: Site\n# stranger\n');
    await repo.commitAndPush('by a stranger', { signingKey: stranger.fingerprint, gnupgHome: stranger.home });
    expect(await codeAndReason((await source()).sync())).toEqual(['GIT_UNTRUSTED_COMMIT', 'untrusted-key']);
  });

  it('refuses a commit whose content was changed after signing', async () => {
    await repo.write('sites.yaml', 'kind: Site\n# genuine\n');
    await repo.commitAndPush('genuine', { signingKey: trusted.fingerprint, gnupgHome: trusted.home });
    // Same signature, different message: the signed payload no longer matches.
    const raw = await repo.git(['cat-file', 'commit', 'HEAD']);
    const forged = raw.replace(/\n\ngenuine$/, '\n\nforged');
    expect(forged).not.toBe(raw);
    const file = join(scratch, 'forged-commit');
    await writeFile(file, forged + '\n');
    const oid = await repo.git(['hash-object', '-t', 'commit', '-w', file]);
    await repo.git(['push', '--quiet', '--force', 'origin', `${oid}:refs/heads/main`]);
    expect(await codeAndReason((await source()).sync())).toEqual(['GIT_UNTRUSTED_COMMIT', 'bad-signature']);
  });

  it('a key file without a key → GIT_KEY_INVALID', async () => {
    const file = join(scratch, 'empty.asc');
    await writeFile(file, 'not a key\n');
    const err = await loadTrustedKeys([file]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isFerryError(err, 'GIT_KEY_INVALID')).toBe(true);
  });
});
