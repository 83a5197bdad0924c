/**
 * OpenPGP verification of an upstream's signed indexes with the keys of `signedBy` (like APT's
 * `signed-by`): a clearsigned InRelease, a detached Release.gpg / repomd.xml.asc (armored or
 * binary). Only the text covered by a valid signature is returned for parsing, never the raw
 * document around it.
 */
import * as openpgp from 'openpgp';
import { upstreamError, UpstreamErrorCode } from './errors.js';

export type VerificationKeys = openpgp.PublicKey[];

const BLOCK = /-----BEGIN PGP PUBLIC KEY BLOCK-----[\s\S]*?-----END PGP PUBLIC KEY BLOCK-----/g;

/**
 * Reads the armored public key(s) of `signedBy`: one or more armored blocks (an archive that
 * rotates keys lists the old and the new one); throws UPSTREAM_KEY_INVALID.
 */
export async function readVerificationKeys(armored: string): Promise<VerificationKeys> {
  try {
    const blocks = armored.match(BLOCK) ?? [armored];
    const keys = (await Promise.all(blocks.map((block) => openpgp.readKeys({ armoredKeys: block })))).flat();
    const publicKeys = keys.map((k) => (k.isPrivate() ? k.toPublic() : k));
    if (publicKeys.length === 0) throw new Error('no key');
    return publicKeys;
  } catch (err) {
    throw upstreamError(UpstreamErrorCode.keyInvalid, 'signedBy holds no readable OpenPGP public key', {}, err);
  }
}

function invalid(what: string, err: unknown): Error {
  return upstreamError(UpstreamErrorCode.signatureInvalid, `the signature of ${what} does not verify with the keys in signedBy`, { what }, err);
}

/** Verifies a clearsigned document (InRelease) and returns the signed text. */
export async function verifyClearsigned(document: string, keys: VerificationKeys, what: string): Promise<string> {
  try {
    const message = await openpgp.readCleartextMessage({ cleartextMessage: document });
    const { data, signatures } = await openpgp.verify({ message, verificationKeys: keys, expectSigned: true });
    await Promise.all(signatures.map((s) => s.verified));
    return data;
  } catch (err) {
    throw invalid(what, err);
  }
}

async function readSignature(signature: Buffer): Promise<openpgp.Signature> {
  const text = signature.toString('latin1');
  if (text.includes('-----BEGIN PGP SIGNATURE-----')) return openpgp.readSignature({ armoredSignature: text });
  return openpgp.readSignature({ binarySignature: new Uint8Array(signature) });
}

/** Verifies a detached signature over the exact bytes of `data` (Release.gpg, repomd.xml.asc). */
export async function verifyDetached(data: Buffer, signature: Buffer, keys: VerificationKeys, what: string): Promise<void> {
  try {
    const message = await openpgp.createMessage({ binary: new Uint8Array(data) });
    const { signatures } = await openpgp.verify({ message, signature: await readSignature(signature), verificationKeys: keys, expectSigned: true });
    await Promise.all(signatures.map((s) => s.verified));
  } catch (err) {
    throw invalid(what, err);
  }
}
