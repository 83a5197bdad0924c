import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, utimes, rm, stat, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { writeBlobFile, type BlobFileOptions } from '../../src/util/index.js';
import { isFerryError } from '../../src/errors/index.js';

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A source over a buffer that can fail after `failAfter` bytes on its first N opens, or ignore Range. */
function source(data: Buffer, opts: { failAfter?: number; failTimes?: number; ignoreRange?: boolean; chunk?: number } = {}) {
  const offsets: number[] = [];
  let failures = 0;
  const open: BlobFileOptions['open'] = async (offset) => {
    offsets.push(offset);
    const start = opts.ignoreRange ? 0 : offset;
    const fail = opts.failAfter !== undefined && failures < (opts.failTimes ?? 1);
    if (fail) failures++;
    const chunk = opts.chunk ?? 4096;
    async function* gen(): AsyncGenerator<Buffer> {
      let sent = 0;
      for (let i = start; i < data.length; i += chunk) {
        const piece = data.subarray(i, Math.min(i + chunk, data.length));
        if (fail && sent + piece.length > (opts.failAfter ?? 0)) throw new Error('connection reset (test)');
        sent += piece.length;
        yield piece;
      }
    }
    return { stream: Readable.from(gen()), size: data.length, offset: start };
  };
  return { open, offsets };
}

describe('writeBlobFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-blobfile-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const paths = (name = 'blob') => ({ finalPath: join(dir, 'blobs', name), partialPath: join(dir, 'partial', name) });

  it('writes, verifies and renames; a second call transfers nothing', async () => {
    const data = randomBytes(200_000);
    const src = source(data);
    const r1 = await writeBlobFile({ ...paths(), digest: sha(data), size: data.length, open: src.open });
    expect(r1.transferred).toBe(data.length);
    expect((await readFile(paths().finalPath)).equals(data)).toBe(true);
    const r2 = await writeBlobFile({ ...paths(), digest: sha(data), size: data.length, open: src.open });
    expect(r2.transferred).toBe(0);
    expect(src.offsets).toEqual([0]);
    expect(await readdir(join(dir, 'partial'))).toEqual([]);
  });

  it('rejects a digest mismatch, deletes the partial and stores nothing', async () => {
    const data = randomBytes(50_000);
    const wrong = sha(randomBytes(10));
    const err = await writeBlobFile({ ...paths(), digest: wrong, size: data.length, open: source(data).open }).catch((e: unknown) => e);
    expect(isFerryError(err, 'OCI_BLOB_DIGEST_MISMATCH')).toBe(true);
    expect((err as { data: { digest: string } }).data.digest).toBe(wrong);
    await expect(stat(paths().finalPath)).rejects.toThrow();
    await expect(stat(paths().partialPath)).rejects.toThrow();
  });

  it.each([
    // [case, bytes the source sends, size the source reports (-1: unknown)]
    ['source reports another size', 999, 999],
    ['source sends more than the descriptor says', 1001, -1],
  ])('rejects a size mismatch: %s', async (_name, sent, reported) => {
    const data = randomBytes(sent);
    const open: BlobFileOptions['open'] = async () => ({ stream: Readable.from([data]), size: reported, offset: 0 });
    const err = await writeBlobFile({ ...paths(), digest: sha(data), size: 1000, open }).catch((e: unknown) => e);
    expect(isFerryError(err, 'OCI_BLOB_SIZE_MISMATCH')).toBe(true);
    await expect(stat(paths().finalPath)).rejects.toThrow();
    await expect(stat(paths().partialPath)).rejects.toThrow();
  });

  it('resumes from the partial after a stream error instead of starting over', async () => {
    const data = randomBytes(300_000);
    const src = source(data, { failAfter: 100_000 });
    const r = await writeBlobFile({ ...paths(), digest: sha(data), size: data.length, open: src.open });
    expect(src.offsets.length).toBe(2);
    expect(src.offsets[1]).toBeGreaterThan(0);
    expect(r.transferred).toBeLessThan(data.length + 10_000);
    expect((await readFile(paths().finalPath)).equals(data)).toBe(true);
  });

  it('keeps the partial when attempts run out, and a later call resumes from it', async () => {
    const data = randomBytes(300_000);
    const src = source(data, { failAfter: 50_000, failTimes: 5 });
    const err = await writeBlobFile({ ...paths(), digest: sha(data), size: data.length, open: src.open, maxAttempts: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const held = (await stat(paths().partialPath)).size;
    expect(held).toBeGreaterThan(0);
    await expect(stat(paths().finalPath)).rejects.toThrow();
    const healthy = source(data);
    const r = await writeBlobFile({ ...paths(), digest: sha(data), size: data.length, open: healthy.open });
    expect(healthy.offsets).toEqual([held]);
    expect(r.transferred).toBe(data.length - held);
    expect((await readFile(paths().finalPath)).equals(data)).toBe(true);
  });

  it('works with a source that ignores the offset (answers from byte 0)', async () => {
    const data = randomBytes(120_000);
    await mkdir(join(dir, 'partial'), { recursive: true });
    await writeFile(paths().partialPath, data.subarray(0, 70_000));
    const src = source(data, { ignoreRange: true });
    await writeBlobFile({ ...paths(), digest: sha(data), size: data.length, open: src.open });
    expect(src.offsets).toEqual([70_000]);
    expect((await readFile(paths().finalPath)).equals(data)).toBe(true);
  });

  it('discards a corrupt partial prefix: digest mismatch, then a clean retry succeeds', async () => {
    const data = randomBytes(100_000);
    const bad = Buffer.from(data.subarray(0, 40_000));
    bad[10] = (bad[10] ?? 0) ^ 0xff;
    await mkdir(join(dir, 'partial'), { recursive: true });
    await writeFile(paths().partialPath, bad);
    const err = await writeBlobFile({ ...paths(), digest: sha(data), size: data.length, open: source(data).open }).catch((e: unknown) => e);
    expect(isFerryError(err, 'OCI_BLOB_DIGEST_MISMATCH')).toBe(true);
    await writeBlobFile({ ...paths(), digest: sha(data), size: data.length, open: source(data).open });
    expect((await readFile(paths().finalPath)).equals(data)).toBe(true);
  });

  it('serialises concurrent writers of the same blob', async () => {
    const data = randomBytes(2_000_000);
    const results = await Promise.all(
      Array.from({ length: 4 }, () => writeBlobFile({ ...paths(), digest: sha(data), size: data.length, open: source(data, { chunk: 1000 }).open })),
    );
    expect(results.map((r) => r.transferred).sort((a, b) => a - b)).toEqual([0, 0, 0, data.length]);
    expect((await readFile(paths().finalPath)).equals(data)).toBe(true);
  });

  it('takes over the lock of a writer that died', async () => {
    const data = randomBytes(10_000);
    await mkdir(join(dir, 'partial'), { recursive: true });
    await writeFile(`${paths().partialPath}.lock`, '999999999');
    await writeBlobFile({ ...paths(), digest: sha(data), size: data.length, open: source(data).open });
    expect((await readFile(paths().finalPath)).equals(data)).toBe(true);
  });

  it('takes over a lock of a live pid that has not progressed for minutes (pid reuse)', async () => {
    const data = randomBytes(10_000);
    await mkdir(join(dir, 'partial'), { recursive: true });
    const lock = `${paths().partialPath}.lock`;
    await writeFile(lock, String(process.pid));
    const old = new Date(Date.now() - 10 * 60_000);
    await utimes(lock, old, old);
    await writeBlobFile({ ...paths(), digest: sha(data), size: data.length, open: source(data).open });
    expect((await readFile(paths().finalPath)).equals(data)).toBe(true);
  });

  it('stops on abort and keeps the partial', async () => {
    const data = randomBytes(1_000_000);
    const controller = new AbortController();
    const open: BlobFileOptions['open'] = async (offset) => {
      async function* gen(): AsyncGenerator<Buffer> {
        for (let i = offset; i < data.length; i += 10_000) {
          if (i >= 300_000) {
            controller.abort();
            await new Promise((r) => setTimeout(r, 10));
          }
          yield data.subarray(i, i + 10_000);
        }
      }
      return { stream: Readable.from(gen()), size: data.length, offset };
    };
    const err = await writeBlobFile({ ...paths(), digest: sha(data), size: data.length, open, signal: controller.signal }).catch((e: unknown) => e);
    expect(isFerryError(err, 'ABORTED')).toBe(true);
    await expect(stat(paths().finalPath)).rejects.toThrow();
    expect((await stat(paths().partialPath)).size).toBeGreaterThan(0);
  });
});
