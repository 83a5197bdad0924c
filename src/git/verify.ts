/**
 * Signed-commit verification for `topology.verifyCommits.keys` (DESIGN.md section 2).
 *
 * Contract: `verify(gitdir, commit)` resolves only when the commit carries a `gpgsig` header
 * holding an OpenPGP signature, made by one of the trusted keys, over the commit's payload (the
 * commit object without its `gpgsig` header, exactly what `git commit -S` signs). Anything else
 * throws GIT_UNTRUSTED_COMMIT (next: fix) with `data.reason` one of `unsigned`, `untrusted-key`,
 * `bad-signature`. Only the tip commit is checked: a site applies a commit's tree, not its history.
 */
import fs from 'node:fs';
import { readFile } from 'node:fs/promises';
import git from 'isomorphic-git';
import * as openpgp from 'openpgp';
import { FerryError, NextAction } from '../errors/index.js';
import { GitSourceErrorCode } from './source-errors.js';

export interface CommitVerifier {
  verify(gitdir: string, commit: string): Promise<void>;
}

export type UntrustedReason = 'unsigned' | 'untrusted-key' | 'bad-signature';

const MAX_KEY_FILE_BYTES = 1024 * 1024;
const MAX_SIGNATURE_BYTES = 64 * 1024;

function untrusted(commit: string, reason: UntrustedReason, detail: string): FerryError {
  return new FerryError(GitSourceErrorCode.untrustedCommit, `commit ${commit.slice(0, 12)} is not applied: ${detail}`, {
    data: { commit, reason },
    next: NextAction.fix,
  });
}

/** Reads armored public keys (one or more per file) from `paths`, e.g. `/etc/ferry/trusted.asc`. */
export async function loadTrustedKeys(paths: string[]): Promise<openpgp.PublicKey[]> {
  const keys: openpgp.PublicKey[] = [];
  for (const path of paths) {
    const text = await readFile(path, 'utf8');
    if (text.length > MAX_KEY_FILE_BYTES) throw new FerryError('GIT_KEY_INVALID', `trusted key file ${path} is over ${MAX_KEY_FILE_BYTES} bytes`, { data: { path } });
    try {
      keys.push(...(await openpgp.readKeys({ armoredKeys: text })).map((key) => key.toPublic()));
    } catch (err) {
      throw new FerryError('GIT_KEY_INVALID', `trusted key file ${path} holds no readable OpenPGP public key`, { data: { path }, cause: err });
    }
  }
  if (keys.length === 0) throw new FerryError('GIT_KEY_INVALID', 'topology.verifyCommits.keys lists no key', { data: {} });
  return keys;
}

/** A verifier trusting `keys`; verified commit ids are remembered so a commit is checked once. */
export function createCommitVerifier({ keys }: { keys: openpgp.PublicKey[] }): CommitVerifier {
  const verified = new Set<string>();
  const trustedIds = new Set(keys.flatMap((key) => [key, ...key.subkeys].map((k) => k.getKeyID().toHex())));
  return {
    async verify(gitdir, commit) {
      if (verified.has(commit)) return;
      const { commit: parsed, payload } = await git.readCommit({ fs, gitdir, oid: commit });
      const armored = parsed.gpgsig;
      if (!armored) throw untrusted(commit, 'unsigned', 'it is not signed and topology.verifyCommits is set');
      if (armored.length > MAX_SIGNATURE_BYTES || !armored.includes('BEGIN PGP SIGNATURE')) {
        throw untrusted(commit, 'bad-signature', 'its signature is not an OpenPGP signature');
      }
      let signature: openpgp.Signature;
      try {
        signature = await openpgp.readSignature({ armoredSignature: armored });
      } catch {
        throw untrusted(commit, 'bad-signature', 'its signature cannot be parsed');
      }
      const signers = signature.getSigningKeyIDs().map((id) => id.toHex());
      if (!signers.some((id) => trustedIds.has(id))) throw untrusted(commit, 'untrusted-key', `it is signed by key ${signers.join(', ') || 'unknown'}, which is not trusted`);
      const message = await openpgp.createMessage({ binary: Buffer.from(payload, 'utf8') });
      const result = await openpgp.verify({ message, signature, verificationKeys: keys, format: 'binary' });
      const ok = await Promise.all(
        result.signatures.map(async (s) => {
          try {
            return await s.verified;
          } catch {
            return false;
          }
        }),
      );
      if (!ok.some(Boolean)) throw untrusted(commit, 'bad-signature', 'its signature does not match its content');
      verified.add(commit);
    },
  };
}
