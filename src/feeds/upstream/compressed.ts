/**
 * Decompressed streams of downloaded index files (gzip, xz, zstd or plain), read chunk by chunk
 * so callers can enforce their own cap on the inflated size (a decompression bomb stops at it).
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createGunzip } from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import xzDecompress from 'xz-decompress';

export type IndexCompression = 'gz' | 'xz' | 'zst' | 'plain';

/** The compression of an index by its file name. */
export function compressionOfPath(path: string): IndexCompression {
  if (path.endsWith('.gz')) return 'gz';
  if (path.endsWith('.xz')) return 'xz';
  if (path.endsWith('.zst')) return 'zst';
  return 'plain';
}

async function* unzstd(source: AsyncIterable<Buffer>): AsyncGenerator<Uint8Array> {
  const out: Uint8Array[] = [];
  const stream = new ZstdDecompress((chunk) => void out.push(chunk));
  for await (const chunk of source) {
    stream.push(new Uint8Array(chunk));
    while (out.length > 0) yield out.shift() as Uint8Array;
  }
  stream.push(new Uint8Array(0), true);
  while (out.length > 0) yield out.shift() as Uint8Array;
}

/** A decompressed byte stream of the file at `path`. */
export function openIndex(path: string, kind: IndexCompression): AsyncIterable<Buffer | Uint8Array> {
  const file = createReadStream(path);
  if (kind === 'gz') return file.pipe(createGunzip());
  if (kind === 'zst') return unzstd(file);
  if (kind === 'xz') {
    const web = Readable.toWeb(file) as unknown as ReadableStream<Uint8Array>;
    return Readable.fromWeb(new xzDecompress.XzReadableStream(web) as unknown as WebReadableStream<Uint8Array>);
  }
  return file;
}
