/**
 * Bounded decompression of a .deb's control member (gzip, xz, zstd or none — deb(5)). The output
 * is capped: a member that inflates past `maxOutput` is rejected (a decompression bomb never gets
 * past the cap into memory).
 */
import { gunzipSync } from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import xzDecompress from 'xz-decompress';
import { feedError, FeedErrorCode } from '../artifact/index.js';

export type Compression = 'none' | 'gzip' | 'xz' | 'zstd';

function tooLarge(maxOutput: number): Error {
  return feedError(FeedErrorCode.invalidPackage, 'control archive inflates past the limit', { limit: maxOutput });
}

function corrupt(kind: Compression, cause: unknown): Error {
  return feedError(FeedErrorCode.invalidPackage, 'control archive is not valid compressed data', { compression: kind }, cause);
}

function gunzip(input: Buffer, maxOutput: number): Buffer {
  try {
    return gunzipSync(input, { maxOutputLength: maxOutput });
  } catch (err) {
    if (err instanceof RangeError || (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(maxOutput);
    throw corrupt('gzip', err);
  }
}

function unzstd(input: Buffer, maxOutput: number): Buffer {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let failure: Error | undefined;
  const stream = new ZstdDecompress((chunk) => {
    total += chunk.length;
    if (total > maxOutput) failure ??= tooLarge(maxOutput);
    else chunks.push(chunk);
  });
  try {
    // Feed in slices so the cap is checked while inflating, not after.
    for (let i = 0; i < input.length && !failure; i += 16 * 1024) {
      stream.push(input.subarray(i, i + 16 * 1024), i + 16 * 1024 >= input.length);
    }
  } catch (err) {
    throw corrupt('zstd', err);
  }
  if (failure) throw failure;
  return Buffer.concat(chunks);
}

async function unxz(input: Buffer, maxOutput: number): Promise<Buffer> {
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array(input));
      controller.close();
    },
  });
  const reader = new xzDecompress.XzReadableStream(source).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxOutput) {
        await reader.cancel();
        throw tooLarge(maxOutput);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === FeedErrorCode.invalidPackage) throw err;
    throw corrupt('xz', err);
  }
  return Buffer.concat(chunks);
}

/** Inflates `input` compressed with `kind`, refusing output above `maxOutput` bytes. */
export async function decompress(kind: Compression, input: Buffer, maxOutput: number): Promise<Buffer> {
  switch (kind) {
    case 'none':
      if (input.length > maxOutput) throw tooLarge(maxOutput);
      return input;
    case 'gzip':
      return gunzip(input, maxOutput);
    case 'zstd':
      return unzstd(input, maxOutput);
    case 'xz':
      return unxz(input, maxOutput);
  }
}

/** The compression named by a member suffix (`control.tar.xz` → xz), undefined if unknown. */
export function compressionOf(memberName: string, base: string): Compression | undefined {
  const table: Record<string, Compression> = { [base]: 'none', [`${base}.gz`]: 'gzip', [`${base}.xz`]: 'xz', [`${base}.zst`]: 'zstd' };
  return table[memberName];
}
