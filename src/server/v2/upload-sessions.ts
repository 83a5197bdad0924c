/**
 * Blob upload sessions (distribution spec "pushing blobs"), kept on disk so nothing is buffered
 * in memory and a session survives a restart:
 *
 *   <dir>/<uuid>.json   {repository, createdAt}
 *   <dir>/<uuid>.data   the bytes received so far (its size is the session's offset)
 *
 * Guarantees: a session belongs to one repository; chunks are appended in order (the caller
 * checks Content-Range against `size`); one request at a time per session (a second one gets
 * BLOB_UPLOAD_INVALID); a session is capped at `maxBytes` (413); sessions idle for `ttlMs` are
 * expired (swept lazily when sessions are created, checked when they are used). `finish`
 * verifies the digest before handing the file to the store, which verifies it again and makes
 * it visible atomically.
 */
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Store } from '../../store/store.js';
import { serverError, ServerErrorCode } from '../errors.js';

export interface UploadSession {
  id: string;
  repository: string;
  /** Bytes received so far. */
  size: number;
}

export interface UploadSessionsOptions {
  dir: string;
  /** Idle time after which a session is dropped; default 1 hour. */
  ttlMs?: number;
  /** Largest blob accepted through an upload; default 16 GiB. */
  maxBytes?: number;
  /** Open sessions at most; more get TOOMANYREQUESTS (429) until some finish or expire. Default 1000. */
  maxSessions?: number;
}

export interface UploadSessions {
  /** The size cap of one blob. */
  readonly maxBytes: number;
  create(repository: string): Promise<UploadSession>;
  /** Throws BLOB_UPLOAD_UNKNOWN for unknown, expired or other-repository sessions. */
  get(id: string, repository: string): Promise<UploadSession>;
  /** Appends `source` (one request body) and returns the new state; exclusive per session. */
  append(session: UploadSession, source: Readable): Promise<UploadSession>;
  /** Verifies `digest`, stores the blob in `store` and removes the session. */
  finish(session: UploadSession, digest: string, store: Store): Promise<void>;
  remove(id: string): Promise<void>;
  /** Removes expired sessions now; returns how many. */
  sweep(): Promise<number>;
}

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SWEEP_EVERY_MS = 60_000;

export function createUploadSessions(options: UploadSessionsOptions): UploadSessions {
  return new DiskUploadSessions(options);
}

class DiskUploadSessions implements UploadSessions {
  readonly maxBytes: number;
  private readonly dir: string;
  private readonly ttlMs: number;
  private readonly maxSessions: number;
  private readonly busy = new Set<string>();
  /** Running sha256 per session while its chunks arrive in order; recomputed from disk if lost. */
  private readonly hashes = new Map<string, { hash: Hash; size: number }>();
  private lastSweep = 0;

  constructor({ dir, ttlMs = 60 * 60_000, maxBytes = 16 * 1024 ** 3, maxSessions = 1000 }: UploadSessionsOptions) {
    this.dir = dir;
    this.ttlMs = ttlMs;
    this.maxBytes = maxBytes;
    this.maxSessions = maxSessions;
  }

  async create(repository: string): Promise<UploadSession> {
    await mkdir(this.dir, { recursive: true });
    if (Date.now() - this.lastSweep > SWEEP_EVERY_MS) await this.sweep();
    const open = (await readdir(this.dir)).filter((name) => name.endsWith('.json')).length;
    if (open >= this.maxSessions) {
      throw serverError(ServerErrorCode.tooManyRequests, 'too many open upload sessions, retry later', { limit: this.maxSessions });
    }
    const id = randomUUID();
    const p = this.paths(id);
    await writeFile(p.data, '');
    await writeFile(p.meta, JSON.stringify({ repository, createdAt: new Date().toISOString() }));
    this.hashes.set(id, { hash: createHash('sha256'), size: 0 });
    return { id, repository, size: 0 };
  }

  async get(id: string, repository: string): Promise<UploadSession> {
    if (!ID.test(id)) throw unknownUpload(id);
    const p = this.paths(id);
    const meta = await readFile(p.meta, 'utf8').then((t) => JSON.parse(t) as { repository?: string }).catch(() => undefined);
    const info = await stat(p.data).catch(() => undefined);
    if (!meta || !info || meta.repository !== repository) throw unknownUpload(id);
    if (Date.now() - info.mtimeMs > this.ttlMs && !this.busy.has(id)) {
      await this.remove(id);
      throw unknownUpload(id);
    }
    return { id, repository, size: info.size };
  }

  append(session: UploadSession, source: Readable): Promise<UploadSession> {
    return this.exclusive(session.id, async () => {
      const current = await this.get(session.id, session.repository);
      const state = this.hashes.get(session.id);
      const running = state && state.size === current.size ? state : undefined;
      if (!running) this.hashes.delete(session.id);
      const counter = countingHasher(current.size, this.maxBytes, running?.hash);
      try {
        await pipeline(source, counter.stream, createWriteStream(this.paths(session.id).data, { flags: 'a' }));
      } catch (err) {
        this.hashes.delete(session.id); // the file may hold part of this chunk: recompute at finish
        throw err;
      }
      const size = current.size + counter.count();
      if (running) running.size = size;
      return { ...current, size };
    });
  }

  finish(session: UploadSession, digest: string, store: Store): Promise<void> {
    return this.exclusive(session.id, async () => {
      const { size } = await this.get(session.id, session.repository);
      const data = this.paths(session.id).data;
      const state = this.hashes.get(session.id);
      const actual = state && state.size === size ? `sha256:${state.hash.copy().digest('hex')}` : await hashFile(data);
      if (actual !== digest) {
        throw serverError(ServerErrorCode.digestInvalid, 'uploaded content does not match digest', { digest, size });
      }
      const open = async (offset: number) => ({ stream: createReadStream(data, { start: offset }), size, offset });
      await store.blobPut(session.repository, { mediaType: 'application/octet-stream', digest, size }, open);
      await this.remove(session.id);
    });
  }

  async remove(id: string): Promise<void> {
    this.hashes.delete(id);
    const p = this.paths(id);
    await rm(p.meta, { force: true });
    await rm(p.data, { force: true });
  }

  async sweep(): Promise<number> {
    this.lastSweep = Date.now();
    let removed = 0;
    const names = await readdir(this.dir).catch(() => [] as string[]);
    // Ids from both files: a crash between writing the two leaves one alone, swept all the same.
    const ids = new Set(names.map((name) => name.replace(/\.(json|data)$/, '')).filter((id) => ID.test(id)));
    for (const id of ids) {
      if (this.busy.has(id)) continue;
      const info = await stat(this.paths(id).data).catch(() => undefined);
      if (!info || Date.now() - info.mtimeMs > this.ttlMs) {
        await this.remove(id);
        removed++;
      }
    }
    return removed;
  }

  private paths(id: string): { meta: string; data: string } {
    return { meta: join(this.dir, `${id}.json`), data: join(this.dir, `${id}.data`) };
  }

  private async exclusive<T>(id: string, work: () => Promise<T>): Promise<T> {
    if (this.busy.has(id)) throw serverError(ServerErrorCode.uploadInvalid, 'another request is writing to this upload', { uuid: id });
    this.busy.add(id);
    try {
      return await work();
    } finally {
      this.busy.delete(id);
    }
  }
}

function unknownUpload(id: string) {
  return serverError(ServerErrorCode.uploadUnknown, 'blob upload unknown to registry', { uuid: id.slice(0, 64) });
}

function countingHasher(start: number, maxBytes: number, hash: Hash | undefined): { stream: Transform; count: () => number } {
  let count = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, callback: TransformCallback) {
      count += chunk.length;
      if (start + count > maxBytes) {
        callback(serverError(ServerErrorCode.tooLarge, `blob larger than ${maxBytes} bytes`, { limit: maxBytes }));
        return;
      }
      hash?.update(chunk);
      callback(null, chunk);
    },
  });
  return { stream, count: () => count };
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) hash.update(chunk);
  return `sha256:${hash.digest('hex')}`;
}
