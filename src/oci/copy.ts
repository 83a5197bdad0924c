/**
 * `copy()`: the one transfer algorithm of ferry (oras-go's `Copy`). Walks the graph of a manifest
 * — index → child manifests → config + layers, and referrers when asked — from any ContentReader
 * into any ContentTarget.
 *
 * Guarantees:
 * - Everything is verified: manifests by digest on read (the readers check), blobs by size and
 *   sha256 before they become visible (the writers check; see writeBlobFile / registry uploads).
 * - Nothing is transferred twice: a manifest the destination already has (HEAD by digest) is
 *   skipped with its whole subtree (a target only accepts a manifest whose children it holds); a
 *   blob it has is skipped; a digest met twice in one copy is copied once. When source and
 *   destination are the same registry, a cross-repository mount is tried before uploading.
 * - Order: children before parents, the tag last, so a destination never has a tag (or a
 *   manifest) pointing at content it does not fully hold.
 * - Blobs run in parallel with bounded concurrency (default 4); every error names the blob or
 *   manifest it was about (data.digest) and keeps its code and `next`.
 * - On the first failure (or the caller's abort) the other transfers are aborted (their partial
 *   downloads kept for the next attempt) and all have settled before copy() rejects, with the
 *   failure that started it, not the aborts that followed.
 *
 * Platform filter (`platform: 'linux/amd64'`) on an index: when every child matches, the index is
 * copied unchanged (same digest). When exactly one child matches, that single manifest is copied
 * and the destination tag points at it (the index digest is not kept). When several match (e.g.
 * linux/arm with variants v6 and v7), a new index listing only those is written (a new digest).
 * No match is OCI_PLATFORM_NOT_FOUND. A plain manifest is copied as is.
 */
import { Transform } from 'node:stream';
import { FerryError, NextAction } from '../errors/index.js';
import type { BlobStream, ContentReader, ContentTarget, Descriptor, Platform } from './content.js';
import { parseManifest, parsePlatform, platformMatches, sha256Digest, type ParsedManifest } from './manifest.js';
import { MediaType } from './media-types.js';
import { isDigest } from './reference.js';

export const CopyErrorCode = {
  platformNotFound: 'OCI_PLATFORM_NOT_FOUND',
  invalidOptions: 'OCI_COPY_INVALID_OPTIONS',
} as const;

export interface CopyRef {
  repository: string;
  /** Tag or digest. For the destination, defaults to the source's reference. */
  reference?: string;
}

export interface CopyProgress {
  digest: string;
  /** Bytes of this blob held so far. */
  done: number;
  total: number;
}

export interface CopyOptions {
  /** Blobs copied at once; default 4. */
  concurrency?: number;
  /** `os/arch[/variant]` or a Platform: filter the children of an index. */
  platform?: string | Platform;
  /** Also copy manifests whose `subject` is a copied manifest (signatures, SBOMs), recursively. */
  referrers?: boolean;
  signal?: AbortSignal;
  onProgress?: (event: CopyProgress) => void;
  /** Every blob byte passes `take(n)` first: the controller's bandwidth cap plugs in here. */
  rateLimiter?: { take(bytes: number): Promise<void> };
  /** Try cross-repository mounts when both sides are the same registry (default true). */
  mount?: boolean;
}

export interface CopyResult {
  /** Descriptor of the root written at the destination (differs from the source's after a platform filter). */
  descriptor: Descriptor;
  /** Manifests written. */
  manifests: number;
  /** Blobs written (uploaded or mounted). */
  blobs: number;
  /** Blob bytes read from the source. */
  bytesTransferred: number;
  /** Blobs and manifests the destination already had. */
  skipped: number;
}

/** A semaphore: at most `limit` tasks at once, FIFO. */
function createSemaphore(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (task) => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/**
 * Adds what an error was about to its data, keeping code and `next`: the innermost blob or
 * manifest digest stays in `data.digest` (and in the message); outer manifests go in `data.manifest`.
 */
function naming(err: unknown, what: 'blob' | 'manifest', digest: string): unknown {
  if (!(err instanceof FerryError)) return err;
  if (err.data.digest !== undefined && err.data.digest !== digest) {
    if (what === 'manifest' && err.data.manifest === undefined) (err.data as Record<string, unknown>).manifest = digest;
    if (err.message.includes(String(err.data.digest))) return err;
  }
  if (err.data.digest === digest && err.message.includes(digest)) return err;
  const message = err.message.includes(digest) ? err.message : `${what} ${digest}: ${err.message}`;
  return new FerryError(err.code, message, { data: { ...err.data, digest: err.data.digest ?? digest }, next: err.next, cause: err });
}

function sameRegistry(a: ContentReader, b: ContentTarget): boolean {
  const ra = (a as { registry?: unknown }).registry;
  return typeof ra === 'string' && ra === (b as { registry?: unknown }).registry;
}

/**
 * Wraps a blob stream to pace it through the rate limiter and report progress. The stream path
 * gets a cheap Transform, built only when a consumer reads `stream`; a source with the zero-copy
 * `pull` keeps it, with the same pacing and progress around the sink.
 */
function pacedStream(source: BlobStream, descriptor: Descriptor, options: Pick<CopyOptions, 'rateLimiter' | 'onProgress'>): BlobStream {
  const { rateLimiter, onProgress } = options;
  if (!rateLimiter && !onProgress) return source;
  let done = source.offset;
  let reported = done;
  const report = (n: number): void => {
    done += n;
    if (onProgress && (done - reported >= 1 << 20 || done === descriptor.size)) {
      reported = done;
      onProgress({ digest: descriptor.digest, done, total: descriptor.size });
    }
  };
  let paced: Transform | undefined;
  const pacedOnce = (): Transform => {
    if (paced) return paced;
    paced = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        if (!rateLimiter) {
          report(chunk.length);
          return callback(null, chunk);
        }
        rateLimiter.take(chunk.length).then(() => {
          report(chunk.length);
          callback(null, chunk);
        }, callback);
      },
    });
    const transform = paced;
    source.stream.once('error', (err) => transform.destroy(err));
    transform.once('close', () => source.stream.destroy());
    return source.stream.pipe(transform);
  };
  const result: BlobStream = {
    size: source.size,
    offset: source.offset,
    get stream() {
      return pacedOnce();
    },
  };
  const pull = source.pull;
  if (pull) {
    result.pull = (sink, signal) =>
      pull((chunk) => {
        if (!rateLimiter) {
          const taken = sink(chunk);
          report(chunk.length);
          return taken;
        }
        // The chunk stays valid until this promise settles (BlobStream.pull).
        return rateLimiter.take(chunk.length).then(() => {
          report(chunk.length);
          return sink(chunk);
        });
      }, signal);
  }
  return result;
}

/** One copy in progress: the counters, the de-duplication maps and the graph walk. */
class CopyRun {
  readonly result = { manifests: 0, blobs: 0, bytesTransferred: 0, skipped: 0 };
  private readonly limit: <T>(task: () => Promise<T>) => Promise<T>;
  private readonly blobJobs = new Map<string, Promise<void>>();
  private readonly manifestJobs = new Map<string, Promise<void>>();
  private readonly mount: boolean;
  /** Aborted by the caller's signal or by the first failure, so sibling transfers stop early. */
  private readonly controller = new AbortController();

  constructor(
    private readonly src: ContentReader,
    private readonly srcRepository: string,
    private readonly dst: ContentTarget,
    private readonly dstRepository: string,
    private readonly options: CopyOptions,
  ) {
    this.limit = createSemaphore(Math.max(1, options.concurrency ?? 4));
    this.mount = (options.mount ?? true) && sameRegistry(src, dst) && srcRepository !== dstRepository;
    const outer = options.signal;
    if (outer?.aborted) this.controller.abort(outer.reason);
    else outer?.addEventListener('abort', () => this.controller.abort(outer.reason), { once: true });
  }

  private get signal(): AbortSignal {
    return this.controller.signal;
  }

  /**
   * Waits for every job to settle (so nothing is still writing when copy() returns or throws),
   * then throws the first real failure; failures caused by the abort that followed it come last.
   */
  private async settleAll(jobs: Array<Promise<void>>): Promise<void> {
    const results = await Promise.allSettled(jobs);
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (failures.length === 0) return;
    const isAbort = (e: unknown): boolean => (e instanceof FerryError && e.code === 'ABORTED') || (e instanceof Error && e.name === 'AbortError');
    throw failures.find((e) => !isAbort(e)) ?? failures[0];
  }

  private failed(err: unknown): void {
    if (!this.signal.aborted) this.controller.abort(err);
  }

  /** Copies a blob once per run: skip if present, else mount (same registry), else transfer. */
  copyBlob(descriptor: Descriptor): Promise<void> {
    let job = this.blobJobs.get(descriptor.digest);
    if (!job) {
      job = this.limit(() => this.transferBlob(descriptor)).catch((err: unknown) => {
        this.failed(err);
        throw naming(err, 'blob', descriptor.digest);
      });
      this.blobJobs.set(descriptor.digest, job);
    }
    return job;
  }

  private async transferBlob(descriptor: Descriptor): Promise<void> {
    const { dst, dstRepository, options, result } = this;
    this.signal.throwIfAborted();
    if ((await dst.blobHead(dstRepository, descriptor.digest)) !== undefined) {
      result.skipped++;
      return;
    }
    if (this.mount && (await dst.blobMount(dstRepository, this.srcRepository, descriptor.digest))) {
      result.blobs++;
      return;
    }
    const open = async (offset: number): Promise<BlobStream> =>
      pacedStream(await this.src.blobGet(this.srcRepository, descriptor.digest, { offset }), descriptor, options);
    const put = await dst.blobPut(dstRepository, descriptor, open, { signal: this.signal });
    result.bytesTransferred += put.transferred;
    if (put.transferred > 0) result.blobs++;
    else result.skipped++;
  }

  /** Copies the subtree of a manifest, then the manifest (with `tag` for the root), once per run. */
  copyManifest(descriptor: Descriptor, fetched?: { body: Buffer; parsed: ParsedManifest }, tag?: string): Promise<void> {
    const key = `${descriptor.digest} ${tag ?? ''}`;
    let job = this.manifestJobs.get(key);
    if (!job) {
      job = this.transferManifest(descriptor, fetched, tag).catch((err: unknown) => {
        this.failed(err);
        throw naming(err, 'manifest', descriptor.digest);
      });
      this.manifestJobs.set(key, job);
    }
    return job;
  }

  private async transferManifest(descriptor: Descriptor, fetched: { body: Buffer; parsed: ParsedManifest } | undefined, tag: string | undefined): Promise<void> {
    const { src, dst, srcRepository, dstRepository, options, result } = this;
    this.signal.throwIfAborted();
    const present = await dst.manifestHead(dstRepository, descriptor.digest);
    const body = fetched?.body ?? (present ? undefined : (await src.manifestGet(srcRepository, descriptor.digest)).body);
    if (!present && body) {
      const parsed = fetched?.parsed ?? parseManifest(body, descriptor.mediaType, { repository: srcRepository, digest: descriptor.digest });
      await this.settleAll([...parsed.manifests.map((m) => this.copyManifest(m)), ...parsed.blobs.map((b) => this.copyBlob(b))]);
      // The root goes in with its tag in one PUT, after everything it references.
      await dst.manifestPut(dstRepository, tag ?? descriptor.digest, parsed.mediaType, body);
      result.manifests++;
    } else if (tag) {
      await this.retag(descriptor, tag, body);
    } else {
      result.skipped++;
    }
    if (options.referrers) {
      const referrers = await src.referrers(srcRepository, descriptor.digest);
      await this.settleAll(referrers.map((r) => this.copyManifest(r)));
    }
  }

  /** Points `tag` at a manifest the destination already holds (no-op when it already does). */
  private async retag(descriptor: Descriptor, tag: string, body: Buffer | undefined): Promise<void> {
    const current = await this.dst.manifestHead(this.dstRepository, tag);
    if (current?.digest === descriptor.digest) {
      this.result.skipped++;
      return;
    }
    const bytes = body ?? (await this.src.manifestGet(this.srcRepository, descriptor.digest)).body;
    await this.dst.manifestPut(this.dstRepository, tag, descriptor.mediaType, bytes);
    this.result.manifests++;
  }
}

export async function copy(src: ContentReader, srcRef: CopyRef, dst: ContentTarget, dstRef: CopyRef, options: CopyOptions = {}): Promise<CopyResult> {
  const srcReference = srcRef.reference;
  if (!srcReference) throw new FerryError(CopyErrorCode.invalidOptions, 'copy needs a source tag or digest');
  const platform = typeof options.platform === 'string' ? parsePlatform(options.platform) : options.platform;
  if (options.platform !== undefined && !platform) {
    throw new FerryError(CopyErrorCode.invalidOptions, `invalid platform ${JSON.stringify(options.platform)} (expected os/arch[/variant])`);
  }
  const root = await src.manifestGet(srcRef.repository, srcReference);
  let parsed = parseManifest(root.body, root.descriptor.mediaType, { repository: srcRef.repository, reference: srcReference });
  let rootDescriptor: Descriptor = { ...root.descriptor, mediaType: parsed.mediaType };
  let rootBody = root.body;
  if (platform && parsed.kind === 'index') {
    ({ descriptor: rootDescriptor, body: rootBody, parsed } = await filterIndex(src, srcRef.repository, rootDescriptor, rootBody, parsed, platform));
  }
  const dstReference = dstRef.reference ?? srcReference;
  const tag = isDigest(dstReference) ? undefined : dstReference;
  if (!tag && dstReference !== rootDescriptor.digest) {
    throw new FerryError(CopyErrorCode.invalidOptions, `destination digest ${dstReference} does not match the copied content ${rootDescriptor.digest}`, { next: NextAction.fix });
  }
  const run = new CopyRun(src, srcRef.repository, dst, dstRef.repository, options);
  await run.copyManifest(rootDescriptor, { body: rootBody, parsed }, tag);
  return { descriptor: rootDescriptor, ...run.result };
}

async function filterIndex(
  src: ContentReader,
  repository: string,
  descriptor: Descriptor,
  body: Buffer,
  parsed: ParsedManifest,
  platform: Platform,
): Promise<{ descriptor: Descriptor; body: Buffer; parsed: ParsedManifest }> {
  const matching = parsed.manifests.filter((m) => platformMatches(m.platform, platform));
  if (matching.length === parsed.manifests.length) return { descriptor, body, parsed };
  const only = matching[0];
  if (!only) {
    const wanted = [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
    throw new FerryError(CopyErrorCode.platformNotFound, `no manifest for platform ${wanted} in ${repository}@${descriptor.digest}`, {
      data: { repository, digest: descriptor.digest, platform: wanted },
    });
  }
  if (matching.length === 1) {
    const child = await src.manifestGet(repository, only.digest);
    return { descriptor: child.descriptor, body: child.body, parsed: parseManifest(child.body, child.descriptor.mediaType) };
  }
  const json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  const filtered = Buffer.from(JSON.stringify({ ...json, manifests: matching }));
  const mediaType = parsed.mediaType ?? MediaType.ociIndex;
  return { descriptor: { mediaType, digest: sha256Digest(filtered), size: filtered.length }, body: filtered, parsed: { ...parsed, manifests: matching } };
}
