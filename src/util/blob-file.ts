/**
 * The one resumable, verified, atomic blob writer of ferry (used by the OCI layout target, the fs
 * store and anything else that lands a content-addressed blob on disk).
 *
 * Guarantees:
 * - Nothing partial is ever visible at `finalPath`: bytes go to `partialPath`, are verified
 *   (size and sha256), fsynced, renamed to `finalPath`, and the directory is fsynced.
 * - Resume: a partial left by an interrupted attempt (stream error, abort, `kill -9`) is kept; the
 *   next call re-hashes that prefix and asks the source for the rest with `open(offset)`. A source
 *   that ignores the offset and answers from byte 0 still works: the prefix is skipped.
 * - Verification failure (digest or size) deletes the partial and throws a FerryError
 *   `OCI_BLOB_DIGEST_MISMATCH` / `OCI_BLOB_SIZE_MISMATCH` with data `{digest, expected, actual}`.
 * - Memory: streamed; at most two write batches (2 × 1 MiB) are held, never the blob.
 * - Concurrency: writers of the same `partialPath` are serialised by an exclusive lock file
 *   `<partialPath>.lock` (created with O_EXCL, holding the writer's pid). A second writer waits
 *   until the lock is gone, then finds `finalPath` present and returns `{transferred: 0}`. A lock
 *   whose pid is no longer alive (the writer was killed) is stale and is taken over, and so is a
 *   lock whose partial has not grown for 5 minutes (its pid may have been reused).
 */
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { createHash, type Hash } from 'node:crypto';
import { FerryError, NextAction } from '../errors/index.js';
import { acquireFileLock, mtime } from './file-lock.js';


export const BlobFileErrorCode = {
  digestMismatch: 'OCI_BLOB_DIGEST_MISMATCH',
  sizeMismatch: 'OCI_BLOB_SIZE_MISMATCH',
  invalidDigest: 'OCI_DIGEST_INVALID',
  aborted: 'ABORTED',
} as const;

export interface BlobFileOptions {
  finalPath: string;
  partialPath: string;
  /** `sha256:<64 hex>`; other algorithms are rejected. */
  digest: string;
  size: number;
  /** Opens the source at `offset`; may answer from an earlier offset (e.g. 0 when Range is ignored). */
  open: (offset: number) => Promise<BlobSource>;
  signal?: AbortSignal;
  /** Bytes of the blob held so far (including a resumed prefix). */
  onProgress?: (bytesDone: number) => void;
  /** Attempts on stream errors (each resumes from the partial), default 3. */
  maxAttempts?: number;
}

/** What `open` answers: a stream, and optionally the zero-copy `pull` of src/oci BlobStream. */
export interface BlobSource {
  stream: Readable;
  size: number;
  offset: number;
  /** Delivers the bytes to `sink`; a chunk is valid until the sink returns or its promise settles. */
  pull?: (sink: (chunk: Buffer) => void | Promise<void>, signal?: AbortSignal) => Promise<void>;
}

const WRITE_BATCH = 1024 * 1024;
/**
 * Flush to disk every this many bytes while the next batch downloads, so the final fsync has
 * little left and dirty pages do not pile up (measured ~10% faster than one fsync at the end).
 */
const SYNC_EVERY = 32 * 1024 * 1024;
const LOCK_POLL_MS = 50;
/** A live-pid lock whose partial has not grown for this long is stale (pid reuse after kill -9). */
const STALE_LOCK_MS = 5 * 60_000;
const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;

/** See the file comment for the guarantees. Returns the bytes read from the source. */
export async function writeBlobFile(options: BlobFileOptions): Promise<{ transferred: number }> {
  const { finalPath, partialPath, digest } = options;
  if (!DIGEST_PATTERN.test(digest)) {
    throw new FerryError(BlobFileErrorCode.invalidDigest, `unsupported or invalid digest ${JSON.stringify(digest)}`, { data: { digest } });
  }
  if (await exists(finalPath)) return { transferred: 0 };
  await mkdir(dirname(partialPath), { recursive: true });
  await mkdir(dirname(finalPath), { recursive: true });
  const release = await acquireLock(`${partialPath}.lock`, options.signal);
  try {
    if (await exists(finalPath)) return { transferred: 0 };
    return await writeLocked(options);
  } finally {
    await release();
  }
}

async function writeLocked(options: BlobFileOptions): Promise<{ transferred: number }> {
  const { digest, size } = options;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  let transferred = 0;
  for (let attempt = 1; ; attempt++) {
    throwIfAborted(options.signal, digest);
    const result = await attemptOnce(options);
    transferred += result.read;
    if (result.error === undefined) break;
    if (isFinal(result.error, options.signal) || attempt >= maxAttempts) {
      if (result.error instanceof FerryError) throw result.error;
      if (options.signal?.aborted) throw abortError(digest, result.error);
      if (result.error instanceof ShortStream) throw sizeMismatch(digest, size, result.error.held);
      throw result.error;
    }
  }
  await rename(options.partialPath, options.finalPath);
  await syncDir(dirname(options.finalPath));
  return { transferred };
}

interface AttemptResult {
  read: number;
  error?: unknown;
}

/** One attempt: resume from the partial, stream the rest, verify. Verification errors are final. */
async function attemptOnce(options: BlobFileOptions): Promise<AttemptResult> {
  const { partialPath, digest, size } = options;
  let held = (await fileSize(partialPath)) ?? 0;
  if (held > size) {
    await rm(partialPath, { force: true });
    held = 0;
  }
  const hash = createHash('sha256');
  if (held > 0) await hashPrefix(partialPath, held, hash);
  let read = 0;
  let handle: FileHandle | undefined;
  try {
    if (held < size) {
      const source = await options.open(held);
      if (source.size >= 0 && source.size !== size) {
        source.stream.destroy();
        await rm(partialPath, { force: true });
        return { read, error: sizeMismatch(digest, size, source.size) };
      }
      if (source.offset > held) {
        source.stream.destroy();
        throw new FerryError(BlobFileErrorCode.sizeMismatch, `source of ${digest} answered from offset ${source.offset}, asked ${held}`, {
          data: { digest, expected: held, actual: source.offset },
          next: NextAction.backoff,
        });
      }
      handle = await open(partialPath, 'a');
      const intake = new Intake(source.offset, held, options, hash, (n) => (read += n));
      held = source.pull ? await pumpPull(source, intake, handle, options) : await pump(source, intake, handle, options);
      await handle.sync();
    }
  } catch (err) {
    return { read, error: err };
  } finally {
    await handle?.close();
  }
  if (held !== size) return { read, error: new ShortStream(held, size) };
  const actual = `sha256:${hash.digest('hex')}`;
  if (actual !== digest) {
    await rm(partialPath, { force: true });
    return {
      read,
      error: new FerryError(BlobFileErrorCode.digestMismatch, `blob ${digest} failed verification: content hashes to ${actual}`, {
        data: { digest, expected: digest, actual },
        next: NextAction.backoff,
      }),
    };
  }
  return { read };
}

/** A source that ended cleanly before `size` bytes: retryable (resume), a size mismatch at the end. */
class ShortStream {
  constructor(
    readonly held: number,
    readonly size: number,
  ) {}
}

/**
 * What both pumps do with each chunk of the source: skip the bytes it re-sends before `held` (a
 * source that ignored Range), refuse more than `size` (OCI_BLOB_SIZE_MISMATCH), hash the rest.
 */
class Intake {
  private position: number;

  constructor(
    offset: number,
    public held: number,
    private readonly options: Pick<BlobFileOptions, 'digest' | 'size'>,
    private readonly hash: Hash,
    private readonly onRead: (n: number) => void,
  ) {
    this.position = offset;
  }

  /** The part of `raw` to append to the partial (possibly empty). */
  take(raw: Buffer): Buffer {
    this.onRead(raw.length);
    let chunk = raw;
    if (this.position < this.held) {
      const skip = Math.min(this.held - this.position, chunk.length);
      this.position += skip;
      chunk = chunk.subarray(skip);
    }
    if (chunk.length === 0) return chunk;
    const { digest, size } = this.options;
    if (this.held + chunk.length > size) throw sizeMismatch(digest, size, this.held + chunk.length);
    this.hash.update(chunk);
    this.held += chunk.length;
    this.position += chunk.length;
    return chunk;
  }
}

/** A source that sent more than the blob's size leaves nothing to resume from. */
async function dropOversized(err: unknown, partialPath: string): Promise<void> {
  if (err instanceof FerryError && err.code === BlobFileErrorCode.sizeMismatch) await rm(partialPath, { force: true });
}

/** Streams the source into the partial from `held` through an Intake, in batched writes. */
async function pump(source: BlobSource, intake: Intake, handle: FileHandle, options: BlobFileOptions): Promise<number> {
  const { digest, signal } = options;
  let batch: Buffer[] = [];
  let batchBytes = 0;
  // Double buffering: one batch is written (and periodically flushed) while the next fills, so
  // disk and network overlap.
  let writing: Promise<void> | undefined;
  let lastSync = intake.held;
  const flush = async (): Promise<void> => {
    if (writing) await writing;
    writing = undefined;
    if (batchBytes === 0) return;
    const buffers = batch;
    const upTo = intake.held;
    batch = [];
    batchBytes = 0;
    writing = handle.writev(buffers).then(async () => {
      options.onProgress?.(upTo);
      if (upTo - lastSync >= SYNC_EVERY) {
        lastSync = upTo;
        await handle.datasync();
      }
    });
  };
  const settle = async (): Promise<void> => {
    await flush();
    await writing;
    writing = undefined;
  };
  const onAbort = (): void => {
    source.stream.destroy(abortError(digest));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const raw of source.stream) {
      const chunk = intake.take(raw as Buffer);
      if (chunk.length === 0) continue;
      batch.push(chunk);
      batchBytes += chunk.length;
      if (batchBytes >= WRITE_BATCH) await flush();
    }
    await settle();
  } catch (err) {
    // Keep what arrived intact before the error: it is a valid prefix for the next attempt.
    await settle().catch(() => undefined);
    await dropOversized(err, options.partialPath);
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  return intake.held;
}

/**
 * `pump` for a source with `pull` (a registry download): chunks arrive in reused buffers and are
 * hashed and written in order, one write in flight while the next chunk fills; each chunk is
 * released when its write is done. A flush to disk runs beside the writes every SYNC_EVERY
 * bytes instead of stalling them.
 */
async function pumpPull(source: BlobSource, intake: Intake, handle: FileHandle, options: BlobFileOptions): Promise<number> {
  let writing: Promise<unknown> = Promise.resolve();
  let syncing: Promise<void> | undefined;
  let lastSync = intake.held;
  const sink = (raw: Buffer): Promise<void> | undefined => {
    const chunk = intake.take(raw);
    if (chunk.length === 0) return undefined;
    const upTo = intake.held;
    writing = writing.then(async () => {
      await handle.write(chunk);
      options.onProgress?.(upTo);
      if (upTo - lastSync >= SYNC_EVERY && !syncing) {
        lastSync = upTo;
        syncing = handle.datasync().finally(() => (syncing = undefined));
      }
    });
    // The chunk's memory is reused once its write is done.
    return writing as Promise<void>;
  };
  try {
    await source.pull!(sink, options.signal);
    await writing;
    await syncing;
  } catch (err) {
    // Writes complete in order, so what reached the file is a valid prefix for the next attempt.
    await writing.catch(() => undefined);
    await syncing?.catch(() => undefined);
    await dropOversized(err, options.partialPath);
    if (options.signal?.aborted && !(err instanceof FerryError && err.code === BlobFileErrorCode.aborted)) throw abortError(options.digest, err);
    throw err;
  }
  return intake.held;
}

function isFinal(err: unknown, signal: AbortSignal | undefined): boolean {
  if (signal?.aborted) return true;
  if (err instanceof FerryError) return err.code === BlobFileErrorCode.digestMismatch || err.code === BlobFileErrorCode.sizeMismatch || err.code === BlobFileErrorCode.aborted || err.next === NextAction.fix;
  return false;
}

function sizeMismatch(digest: string, expected: number, actual: number): FerryError {
  return new FerryError(BlobFileErrorCode.sizeMismatch, `blob ${digest} has the wrong size: expected ${expected} bytes, got ${actual}`, {
    data: { digest, expected, actual },
    next: NextAction.backoff,
  });
}

function abortError(digest: string, cause?: unknown): FerryError {
  return new FerryError(BlobFileErrorCode.aborted, `transfer of blob ${digest} was aborted`, { data: { digest }, next: NextAction.retry, cause });
}

function throwIfAborted(signal: AbortSignal | undefined, digest: string): void {
  if (signal?.aborted) throw abortError(digest);
}

async function hashPrefix(path: string, length: number, hash: Hash): Promise<void> {
  const stream = createReadStream(path, { start: 0, end: length - 1, highWaterMark: WRITE_BATCH });
  for await (const chunk of stream) hash.update(chunk as Buffer);
}

async function exists(path: string): Promise<boolean> {
  return (await fileSize(path)) !== undefined;
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The blob's lock; a live holder is stale when neither the lock nor the partial changed for STALE_LOCK_MS. */
function acquireLock(lockPath: string, signal: AbortSignal | undefined): Promise<() => Promise<void>> {
  const partial = lockPath.slice(0, -'.lock'.length);
  return acquireFileLock(lockPath, {
    ...(signal ? { signal } : {}),
    abortError: () => new FerryError(BlobFileErrorCode.aborted, 'aborted while waiting for a blob lock', { next: NextAction.retry }),
    lastActivity: async (lock) => Math.max(await mtime(lock), await mtime(partial)),
    staleMs: STALE_LOCK_MS,
    pollMs: LOCK_POLL_MS,
  });
}
