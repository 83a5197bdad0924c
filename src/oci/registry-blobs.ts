/**
 * Blob operations of the registry client (distribution spec "Pulling blobs", "Pushing blobs",
 * "Mounting a blob from another repository", "Deleting blobs").
 *
 * Uploads stream from the source (never buffered whole) through a verifier that holds back the
 * last chunk until size and sha256 match, so a corrupt source can never complete an upload: the
 * request is aborted and the registry discards the session. Uploads are monolithic (POST + PUT)
 * unless `chunkSize` is set and the blob is larger (POST + PATCH… with Content-Range + PUT); a
 * chunked upload that fails resumes its session from what the registry reports it holds.
 */
import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { FerryError, NextAction } from '../errors/index.js';
import type { BlobStream, Descriptor, OpenBlobSource } from './content.js';
import { OciErrorCode } from './errors.js';
import { drain, header } from './http/types.js';
import { BulkBody } from './http/bulk-get.js';
import { call, protocolError, pullScope, pushScope, urlFor, type RegistryContext } from './registry-http.js';

export async function blobHead(ctx: RegistryContext, repository: string, digest: string): Promise<number | undefined> {
  const res = await call(ctx, { method: 'HEAD', path: `/v2/${repository}/blobs/${digest}`, scopes: [pullScope(repository)], expect: [200, 404], subject: { repository, digest } });
  res.body.destroy();
  if (res.status === 404) return undefined;
  const size = Number(header(res.headers, 'content-length'));
  return Number.isSafeInteger(size) ? size : undefined;
}

export async function blobGet(ctx: RegistryContext, repository: string, digest: string, offset = 0, signal?: AbortSignal): Promise<BlobStream> {
  const res = await call(ctx, {
    method: 'GET',
    path: `/v2/${repository}/blobs/${digest}`,
    headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
    scopes: [pullScope(repository)],
    expect: [200, 206],
    subject: { repository, digest },
    notFound: OciErrorCode.blobUnknown,
    bulk: true,
    ...(signal ? { signal } : {}),
  });
  const pull = bulkPull(res.body);
  if (res.status === 206) {
    const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header(res.headers, 'content-range') ?? '');
    if (!match) {
      res.body.destroy();
      throw protocolError(`blob ${digest}: 206 without a valid Content-Range`, { repository, digest });
    }
    return { stream: res.body, offset: Number(match[1]), size: match[3] === '*' ? -1 : Number(match[3]), ...pull };
  }
  const length = Number(header(res.headers, 'content-length'));
  return { stream: res.body, offset: 0, size: Number.isSafeInteger(length) ? length : -1, ...pull };
}

/** The fast path of a body read by the bulk reader (a redirect may end elsewhere: check). */
function bulkPull(body: Readable): Pick<BlobStream, 'pull'> {
  return body instanceof BulkBody ? { pull: (sink, signal) => body.pull(sink, signal) } : {};
}

/** Verifies size and sha256 of what passes; holds back the last chunk until both match. */
class VerifyingStream extends Transform {
  private readonly hash = createHash('sha256');
  private bytes = 0;
  private held: Buffer | undefined;

  constructor(private readonly descriptor: Descriptor, private readonly onBytes: (n: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.descriptor.size) return callback(this.mismatch(OciErrorCode.blobSizeMismatch, String(this.bytes)));
    this.hash.update(chunk);
    this.onBytes(chunk.length);
    const previous = this.held;
    this.held = chunk;
    callback(null, previous);
  }

  override _flush(callback: TransformCallback): void {
    if (this.bytes !== this.descriptor.size) return callback(this.mismatch(OciErrorCode.blobSizeMismatch, String(this.bytes)));
    const actual = `sha256:${this.hash.digest('hex')}`;
    if (actual !== this.descriptor.digest) return callback(this.mismatch(OciErrorCode.blobDigestMismatch, actual));
    callback(null, this.held);
  }

  private mismatch(code: string, actual: string): FerryError {
    const { digest, size } = this.descriptor;
    const expected = code === OciErrorCode.blobSizeMismatch ? String(size) : digest;
    return new FerryError(code, `source of blob ${digest} failed verification (expected ${expected}, got ${actual})`, {
      data: { digest, expected, actual },
      next: NextAction.backoff,
    });
  }
}

export interface BlobPutOptions {
  signal?: AbortSignal;
  chunkSize?: number;
  maxAttempts?: number;
}

export async function blobPut(ctx: RegistryContext, repository: string, descriptor: Descriptor, open: OpenBlobSource, options: BlobPutOptions = {}): Promise<{ transferred: number }> {
  if ((await blobHead(ctx, repository, descriptor.digest)) !== undefined) return { transferred: 0 };
  const maxAttempts = options.maxAttempts ?? 3;
  const chunked = options.chunkSize !== undefined && descriptor.size > options.chunkSize;
  let transferred = 0;
  // A chunked session survives a failed attempt: the next one asks the registry how much it
  // holds and continues from there (the source is re-read from 0 to verify, but not re-sent).
  let session: { location: URL; offset: number } | undefined;
  for (let attempt = 1; ; attempt++) {
    let source: BlobStream | undefined;
    try {
      if (session && attempt > 1) session = await resumeUpload(ctx, session.location);
      session ??= { location: await startUpload(ctx, repository, descriptor, options.signal), offset: 0 };
      source = await open(0);
      if (source.offset !== 0) {
        throw protocolError(`source of blob ${descriptor.digest} answered from offset ${source.offset}`, { repository, digest: descriptor.digest });
      }
      const verified = source.stream.pipe(new VerifyingStream(descriptor, (n) => (transferred += n)));
      source.stream.once('error', (err) => verified.destroy(err));
      if (chunked && options.chunkSize) {
        const current = session;
        await uploadChunked(ctx, repository, descriptor, current, verified, options.chunkSize, options.signal);
      } else {
        await finishUpload(ctx, repository, descriptor, session.location, { stream: verified, length: descriptor.size }, options.signal);
      }
      return { transferred };
    } catch (err) {
      source?.stream.destroy();
      // The registry may have committed before the answer got lost: content-addressed, so done.
      if (!options.signal?.aborted && (await blobHead(ctx, repository, descriptor.digest).catch(() => undefined)) !== undefined) return { transferred };
      const transient = !(err instanceof FerryError) || err.next === NextAction.backoff;
      const verification = err instanceof FerryError && (err.code === OciErrorCode.blobDigestMismatch || err.code === OciErrorCode.blobSizeMismatch);
      const final = options.signal?.aborted || !transient || verification || attempt >= maxAttempts;
      // Free the registry's session unless the next attempt resumes it.
      if (session && (final || !chunked)) {
        void cancelUpload(ctx, session.location);
        session = undefined;
      }
      if (final) throw err;
    }
  }
}

/**
 * Asks the registry how much of an upload session it holds (`GET <location>` → 204 with
 * `Range: 0-<last>`); undefined when the session is gone (then the caller starts over).
 */
async function resumeUpload(ctx: RegistryContext, location: URL): Promise<{ location: URL; offset: number } | undefined> {
  try {
    const res = await ctx.send({ method: 'GET', url: location });
    await drain(res.body);
    if (res.status !== 204) return undefined;
    const match = /^0-(-?\d+)$/.exec(header(res.headers, 'range') ?? '0--1');
    const next = res.headers.location ? new URL(res.headers.location, ctx.base) : location;
    if (!match || next.origin !== ctx.base.origin) return undefined;
    // distribution answers `0-0` for an empty session (and `0-99` after 100 bytes): 0-0 is 0.
    const last = Number(match[1]);
    return { location: next, offset: last <= 0 ? 0 : last + 1 };
  } catch {
    return undefined;
  }
}

async function startUpload(ctx: RegistryContext, repository: string, descriptor: Descriptor, signal?: AbortSignal): Promise<URL> {
  const res = await call(ctx, {
    method: 'POST',
    path: `/v2/${repository}/blobs/uploads/`,
    scopes: [pushScope(repository)],
    expect: [202],
    subject: { repository, digest: descriptor.digest },
    ...(signal ? { signal } : {}),
  });
  await drain(res.body);
  return uploadLocation(ctx, res.headers.location, repository, descriptor.digest);
}

function uploadLocation(ctx: RegistryContext, location: string | undefined, repository: string, digest: string): URL {
  if (!location) throw protocolError('upload answer without Location', { repository, digest });
  const url = new URL(location, ctx.base);
  if (url.origin !== ctx.base.origin) throw protocolError('upload Location points to another origin', { repository, digest });
  return url;
}

async function finishUpload(
  ctx: RegistryContext,
  repository: string,
  descriptor: Descriptor,
  location: URL,
  body: { stream: Readable; length: number } | undefined,
  signal?: AbortSignal,
): Promise<void> {
  const url = urlFor(ctx, location, { digest: descriptor.digest });
  const res = await call(ctx, {
    method: 'PUT',
    path: url,
    headers: { 'content-type': 'application/octet-stream' },
    ...(body ? { body } : {}),
    scopes: [pushScope(repository)],
    expect: [201],
    subject: { repository, digest: descriptor.digest },
    ...(signal ? { signal } : {}),
  });
  await drain(res.body);
}

/**
 * Splits the verified stream into PATCH requests of `chunkSize` bytes with Content-Range, from
 * `session.offset` on (the bytes before it are read and verified but not sent again). Keeps
 * `session` current after every accepted chunk, so a failed attempt can resume.
 */
async function uploadChunked(
  ctx: RegistryContext,
  repository: string,
  descriptor: Descriptor,
  session: { location: URL; offset: number },
  stream: Readable,
  chunkSize: number,
  signal?: AbortSignal,
): Promise<void> {
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const subject = { repository, digest: descriptor.digest };
  let carry: Buffer | undefined;
  /** Up to `length` bytes of the stream, in order. */
  async function* take(length: number): AsyncGenerator<Buffer> {
    let left = length;
    while (left > 0) {
      let chunk = carry;
      carry = undefined;
      if (!chunk) {
        const next = await iterator.next();
        if (next.done) throw protocolError(`source of blob ${descriptor.digest} ended early`, subject);
        chunk = next.value;
      }
      if (chunk.length > left) {
        carry = chunk.subarray(left);
        chunk = chunk.subarray(0, left);
      }
      left -= chunk.length;
      yield chunk;
    }
  }
  for await (const _ of take(Math.min(session.offset, descriptor.size))) {
    // skip what the registry already holds
  }
  while (session.offset < descriptor.size) {
    const length = Math.min(chunkSize, descriptor.size - session.offset);
    const res = await call(ctx, {
      method: 'PATCH',
      path: session.location,
      headers: { 'content-type': 'application/octet-stream', 'content-range': `${session.offset}-${session.offset + length - 1}` },
      body: { stream: Readable.from(take(length)), length },
      scopes: [pushScope(repository)],
      expect: [202],
      subject,
      ...(signal ? { signal } : {}),
    });
    await drain(res.body);
    session.location = uploadLocation(ctx, res.headers.location, repository, descriptor.digest);
    session.offset += length;
  }
  // Drain the verifier to its end so its flush (the digest check) runs before the final PUT.
  if (!(await iterator.next()).done) {
    throw protocolError(`source of blob ${descriptor.digest} sent more than ${descriptor.size} bytes`, subject);
  }
  await finishUpload(ctx, repository, descriptor, session.location, undefined, signal);
}

async function cancelUpload(ctx: RegistryContext, location: URL): Promise<void> {
  try {
    const res = await ctx.send({ method: 'DELETE', url: location });
    await drain(res.body);
  } catch {
    // best effort: the registry expires abandoned sessions
  }
}

/** Cross-repository mount; false when the registry started a normal upload instead (202). */
export async function blobMount(ctx: RegistryContext, repository: string, fromRepository: string, digest: string): Promise<boolean> {
  const res = await call(ctx, {
    method: 'POST',
    path: `/v2/${repository}/blobs/uploads/`,
    query: { mount: digest, from: fromRepository },
    scopes: [pushScope(repository), pullScope(fromRepository)],
    expect: [201, 202],
    subject: { repository, digest },
  });
  await drain(res.body);
  if (res.status === 201) return true;
  if (res.headers.location) void cancelUpload(ctx, new URL(res.headers.location, ctx.base));
  return false;
}

export async function blobDelete(ctx: RegistryContext, repository: string, digest: string): Promise<boolean> {
  const res = await call(ctx, { method: 'DELETE', path: `/v2/${repository}/blobs/${digest}`, scopes: [pushScope(repository)], expect: [202, 404], subject: { repository, digest } });
  await drain(res.body);
  return res.status === 202;
}
