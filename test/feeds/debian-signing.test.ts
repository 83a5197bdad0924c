/**
 * The repository signing key: a key made by the real gpg and handed to the debian view as a file
 * (what a site's `secretRef` resolves to) signs the Release files that gpgv then verifies with
 * gpg's own keyring; a generated key is kept (mode 0600) and reused; a bad key is refused.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDebianFeedView } from '../../src/feeds/debian/index.js';
import { loadSigningKey } from '../../src/feeds/signing/index.js';
import { isFerryError } from '../../src/errors/index.js';
import { bearer, startFeedServer } from '../helpers/feed-server.js';
import { buildDeb } from './debian-fixtures.js';

const run = promisify(execFile);
let work: string;
let gnupg: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-signing-'));
  gnupg = join(work, 'gnupg');
  await mkdir(gnupg, { mode: 0o700 });
});

afterAll(async () => {
  // gpg started an agent for the throwaway GNUPGHOME: stop exactly that one.
  if (gnupg) await run('gpgconf', ['--homedir', gnupg, '--kill', 'gpg-agent']).catch(() => undefined);
  if (work) await rm(work, { recursive: true, force: true });
});

describe('repository signing key', () => {
  it('signs with a key file made by gpg, verified by gpgv against gpg\'s keyring', async () => {
    const env = { ...process.env, GNUPGHOME: gnupg };
    await run('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', 'Site Repo <repo@example.invalid>', 'ed25519', 'sign', 'never'], { env });
    const { stdout: armored } = await run('gpg', ['--batch', '--armor', '--export-secret-keys'], { env });
    const keyFile = join(work, 'site-key.asc');
    await writeFile(keyFile, armored, { mode: 0o600 });
    await run('gpg', ['--batch', '--yes', '--export', '-o', join(work, 'keyring.gpg')], { env });
    const { stdout: listing } = await run('gpg', ['--batch', '--with-colons', '--fingerprint'], { env });
    const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(listing)?.[1];

    const server = await startFeedServer({ feeds: [{ name: 'signed', type: 'debian' }], feedViews: [createDebianFeedView({ signingKeyFile: keyFile })] });
    try {
      const deb = await buildDeb(work, { name: 'signed-pkg', version: '1.0' });
      const put = await fetch(`${server.url}/feeds/signed/debian/upload`, { method: 'PUT', headers: { authorization: bearer(server.writeToken) }, body: await readFile(deb) });
      expect(put.status).toBe(201);
      const get = async (path: string): Promise<string> => (await fetch(`${server.url}/feeds/signed/debian/${path}`, { headers: { authorization: bearer(server.readToken) } })).text();
      await writeFile(join(work, 'InRelease'), await get('dists/stable/InRelease'));
      await writeFile(join(work, 'Release'), await get('dists/stable/Release'));
      await writeFile(join(work, 'Release.gpg'), await get('dists/stable/Release.gpg'));
      const verified = await run('gpgv', ['--status-fd', '1', '--keyring', join(work, 'keyring.gpg'), join(work, 'InRelease')]);
      expect(verified.stdout).toContain(`VALIDSIG ${fingerprint}`);
      await run('gpgv', ['--keyring', join(work, 'keyring.gpg'), join(work, 'Release.gpg'), join(work, 'Release')]);
      expect((await loadSigningKey({ dataDir: work, keyFile })).fingerprint).toBe(fingerprint);
    } finally {
      await server.stop();
    }
  });

  it('generates a key once into dataDir (mode 0600) and reuses it', async () => {
    const dataDir = join(work, 'data');
    const first = await loadSigningKey({ dataDir });
    const file = join(dataDir, 'keys/repo-signing.asc');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    // Loading the stored file directly gives the same key: a restart keeps the fingerprint.
    expect((await loadSigningKey({ dataDir: join(work, 'elsewhere'), keyFile: file })).fingerprint).toBe(first.fingerprint);
    expect(first.publicKeyArmored).toContain('BEGIN PGP PUBLIC KEY BLOCK');
    expect(first.publicKeyArmored).not.toContain('PRIVATE');
  });

  it('refuses a file that is not a private key', async () => {
    const bad = join(work, 'bad.asc');
    await writeFile(bad, 'not a key');
    await expect(loadSigningKey({ dataDir: work, keyFile: bad })).rejects.toSatisfy((e: unknown) => isFerryError(e, 'SIGNING_KEY_INVALID'));
  });
});
