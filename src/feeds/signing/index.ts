/**
 * The site's OpenPGP repository-signing key, shared by the package views that sign indexes
 * (Debian `InRelease`/`Release.gpg`, RPM `repomd.xml.asc`).
 *
 * Key source, in order: an armored private key given by the site configuration (the resolved
 * value of a `secretRef`, or a key file path; optionally passphrase-protected), else a key generated on
 * first use into `<dataDir>/keys/repo-signing.asc` (mode 0600; Ed25519, OpenPGP v4, which
 * gpg/gpgv 2.2 and rpm verify) and reused afterwards. The private key never leaves this module:
 * callers get signatures and the armored public key.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as openpgp from 'openpgp';
import { FerryError, NextAction } from '../../errors/index.js';

export const SigningErrorCode = {
  keyInvalid: 'SIGNING_KEY_INVALID',
} as const;

export interface SigningKeyOptions {
  /** Directory for the generated key (the feed views' dataDir). */
  dataDir: string;
  /** An armored private key file (a `secretRef: {file}`); takes precedence over generation. */
  keyFile?: string;
  /** The armored private key itself (a resolved `secretRef`, e.g. from `resolveSecret`); first choice. */
  armoredKey?: string;
  passphrase?: string;
  /** User ID of a generated key. */
  userId?: { name: string; email: string };
}

export interface SigningKey {
  /** Upper-case hex fingerprint (for docs and logs; not secret). */
  fingerprint: string;
  publicKeyArmored: string;
  /** Clearsigned form of `text` (RFC 4880 section 7), e.g. InRelease. */
  clearsign(text: string): Promise<string>;
  /** Armored detached signature over the exact bytes (binary signature), e.g. Release.gpg. */
  detachSign(data: Buffer | string): Promise<string>;
}

async function readKey(armored: string, passphrase: string | undefined, source: string): Promise<openpgp.PrivateKey> {
  try {
    const key = await openpgp.readPrivateKey({ armoredKey: armored });
    if (key.isDecrypted()) return key;
    if (passphrase === undefined) throw new Error('key is encrypted and no passphrase was given');
    return await openpgp.decryptKey({ privateKey: key, passphrase });
  } catch (err) {
    throw new FerryError(SigningErrorCode.keyInvalid, 'cannot read the repository signing key', { data: { source }, next: NextAction.fix, cause: err });
  }
}

async function generated(options: SigningKeyOptions): Promise<openpgp.PrivateKey> {
  const path = join(options.dataDir, 'keys', 'repo-signing.asc');
  const existing = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (existing !== undefined) return readKey(existing, undefined, path);
  const { privateKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [options.userId ?? { name: 'ferry repository signing key', email: 'ferry@localhost.invalid' }],
    format: 'armored',
  });
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, privateKey, { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, path);
  return readKey(privateKey, undefined, path);
}

function wrap(key: openpgp.PrivateKey): SigningKey {
  return {
    fingerprint: key.getFingerprint().toUpperCase(),
    publicKeyArmored: key.toPublic().armor(),
    async clearsign(text) {
      const message = await openpgp.createCleartextMessage({ text });
      return openpgp.sign({ message, signingKeys: key, format: 'armored' });
    },
    async detachSign(data) {
      const message = await openpgp.createMessage({ binary: typeof data === 'string' ? Buffer.from(data, 'utf8') : data });
      return openpgp.sign({ message, signingKeys: key, detached: true, format: 'armored' });
    },
  };
}

const cache = new Map<string, Promise<SigningKey>>();

/**
 * The signing key for `options` (see the module comment). Memoised per key source, so
 * concurrent first requests generate one key, not several.
 */
export function loadSigningKey(options: SigningKeyOptions): Promise<SigningKey> {
  const id = options.armoredKey
    ? `key:${createHash('sha256').update(options.armoredKey).digest('hex')}`
    : options.keyFile ? `file:${options.keyFile}` : `dir:${options.dataDir}`;
  let pending = cache.get(id);
  if (!pending) {
    pending = (async () => {
      if (options.armoredKey) return wrap(await readKey(options.armoredKey, options.passphrase, 'secret'));
      if (options.keyFile) return wrap(await readKey(await readFile(options.keyFile, 'utf8'), options.passphrase, options.keyFile));
      return wrap(await generated(options));
    })();
    pending.catch(() => cache.delete(id));
    cache.set(id, pending);
  }
  return pending;
}
