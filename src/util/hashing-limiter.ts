/**
 * A pass-through stream that counts bytes, refuses more than a cap and hashes what passes with
 * several algorithms at once (an upload spooled to disk, a file fetched from an upstream). An
 * optional `pace` is awaited before each chunk passes on (a bandwidth cap).
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export class HashingLimiter<A extends string> extends Transform {
  readonly hashes: Record<A, Hash>;
  size = 0;

  constructor(
    algorithms: readonly A[],
    private readonly maxBytes: number,
    /** The error a stream above `maxBytes` fails with. */
    private readonly tooLarge: () => Error,
    private readonly pace?: (bytes: number) => Promise<void>,
  ) {
    super();
    this.hashes = Object.fromEntries(algorithms.map((a) => [a, createHash(a)])) as Record<A, Hash>;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) return callback(this.tooLarge());
    for (const hash of Object.values<Hash>(this.hashes)) hash.update(chunk);
    if (!this.pace) return callback(null, chunk);
    this.pace(chunk.length).then(() => callback(null, chunk), callback);
  }

  /** Hex digests of everything that passed (ends the hashes). */
  hex(): Record<A, string> {
    return Object.fromEntries(Object.entries<Hash>(this.hashes).map(([a, hash]) => [a, hash.digest('hex')])) as Record<A, string>;
  }
}
