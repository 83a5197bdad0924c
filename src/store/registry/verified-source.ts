/**
 * A verifying wrapper around a blob source for the registry backend: whatever the HTTP layer
 * turns a failed upload into (a reset connection, a retry), the store reports a source whose
 * bytes do not match the descriptor as OCI_BLOB_DIGEST_MISMATCH / OCI_BLOB_SIZE_MISMATCH.
 * It only observes: the client's own verifier still keeps a bad upload from completing.
 */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { Descriptor, OpenBlobSource } from '../../oci/content.js';
import { FerryError, NextAction } from '../../errors/index.js';
import { StoreErrorCode } from '../errors.js';

export interface VerifiedSource {
  open: OpenBlobSource;
  /** The verification failure seen on the last attempt, if any. */
  failure(): FerryError | undefined;
}

export function verifiedSource(descriptor: Descriptor, open: OpenBlobSource): VerifiedSource {
  let failure: FerryError | undefined;
  const mismatch = (code: string, actual: string | number): FerryError =>
    new FerryError(code, `blob ${descriptor.digest} failed verification`, { data: { digest: descriptor.digest, expected: code === StoreErrorCode.blobSizeMismatch ? descriptor.size : descriptor.digest, actual }, next: NextAction.backoff });
  return {
    failure: () => failure,
    async open(offset) {
      failure = undefined;
      const source = await open(offset);
      if (source.offset !== 0) return source; // partial sources cannot be hashed whole; the client verifies
      const hash = createHash('sha256');
      let bytes = 0;
      const check = new Transform({
        transform(chunk: Buffer, _enc, callback: TransformCallback) {
          bytes += chunk.length;
          if (bytes > descriptor.size) return callback((failure = mismatch(StoreErrorCode.blobSizeMismatch, bytes)));
          hash.update(chunk);
          callback(null, chunk);
        },
        flush(callback: TransformCallback) {
          if (bytes !== descriptor.size) return callback((failure = mismatch(StoreErrorCode.blobSizeMismatch, bytes)));
          const actual = `sha256:${hash.digest('hex')}`;
          callback(actual === descriptor.digest ? null : (failure = mismatch(StoreErrorCode.blobDigestMismatch, actual)));
        },
      });
      source.stream.once('error', (err) => check.destroy(err));
      return { ...source, stream: source.stream.pipe(check) };
    },
  };
}
