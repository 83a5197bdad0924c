/**
 * The HTTP side of upstream mirroring: small documents into memory (capped), package files and
 * indexes streamed to a temp file with their size and md5/sha1/sha256 computed on the way (never
 * a whole file in memory). Every downloaded byte passes `take` (the site's bandwidth cap), every
 * request is counted against `budget`, and failures become errors through the caller's
 * `explainStatus` / `explainNetwork` (the replication layer names the upstream in them).
 *
 * Contract of `download`: on success the file is complete and, when `expect` is given, its size
 * and sha256 equal the expected ones (else UPSTREAM_FILE_MISMATCH / the `mismatchCode`); on any
 * failure nothing is left on disk.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { HashingLimiter } from '../../util/hashing-limiter.js';
import { upstreamError, UpstreamErrorCode } from './errors.js';

export interface DownloadedFile {
  path: string;
  /** `sha256:<hex>` */
  digest: string;
  size: number;
  md5: string;
  sha1: string;
  sha256: string;
  sha512: string;
  dispose(): Promise<void>;
}

export interface Expectation {
  size?: number;
  /** Hex digest with its algorithm (sha256, sha512, sha1). */
  hash: { algorithm: 'sha256' | 'sha512' | 'sha1'; hex: string };
  mismatchCode: typeof UpstreamErrorCode.fileMismatch | typeof UpstreamErrorCode.indexMismatch;
}

export interface DownloadOptions {
  tmpDir: string;
  maxBytes: number;
  expect?: Expectation;
}

export interface UpstreamFetcher {
  /** Requests made so far (budget accounting). */
  readonly requests: number;
  /** GETs a small document; undefined on 404 when `optional`. Refuses bodies above `maxBytes`. */
  getSmall(path: string, options: { maxBytes: number; optional?: boolean }): Promise<Buffer | undefined>;
  /** Streams a file to a private temp dir under `tmpDir` (see the module contract). */
  download(path: string, options: DownloadOptions): Promise<DownloadedFile>;
  /** Like `download`, but undefined when the upstream answers 404 (an index it lists but lacks). */
  tryDownload(path: string, options: DownloadOptions): Promise<DownloadedFile | undefined>;
  /** True when `budget` more requests are allowed. */
  canSpend(requests?: number): boolean;
}

export interface HttpFetcherOptions {
  /** Repository root; paths are resolved relative to it. */
  baseUrl: string;
  signal?: AbortSignal;
  /** `Authorization` header value (never logged). */
  authorization?: string;
  take?: (bytes: number) => Promise<void>;
  onRequest?: (method: string, url: string) => void;
  budget?: number;
  /** A request that receives no byte for this long fails as a timeout (default 60 s). */
  idleTimeoutMs?: number;
  explainStatus: (status: number, url: string) => Error;
  explainNetwork: (err: unknown, url: string) => Error;
}

function isFerryCoded(err: unknown): boolean {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string' && String((err as unknown as { code: string }).code).startsWith('UPSTREAM_');
}

function announcedTooLarge(res: Response, maxBytes: number): boolean {
  const length = Number(res.headers.get('content-length') ?? NaN);
  return Number.isFinite(length) && length > maxBytes;
}

function mismatch(path: string, expect: Expectation, size: number, actual: string): Error {
  return upstreamError(expect.mismatchCode, 'upstream file does not match the size and hash its signed index gives', {
    path, expectedSize: expect.size, size, algorithm: expect.hash.algorithm, expected: expect.hash.hex, actual,
  });
}

interface Opened {
  res: Response;
  url: string;
  /** The response body, idle-watched (see `open`). */
  body: AsyncGenerator<Buffer>;
  /** Gives up on a body that will not be read (stops the idle timer, cancels the response). */
  close(): Promise<void>;
}

class HttpFetcher implements UpstreamFetcher {
  private readonly base: string;
  private readonly budget: number;
  private count = 0;

  constructor(private readonly options: HttpFetcherOptions) {
    this.base = options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`;
    this.budget = options.budget ?? Number.POSITIVE_INFINITY;
  }

  get requests(): number {
    return this.count;
  }

  canSpend(n = 1): boolean {
    return this.count + n <= this.budget;
  }

  /**
   * One GET; undefined on 404 when `optional`; other non-200 statuses via explainStatus. The
   * body is watched: no byte for `idleTimeoutMs` aborts the request with an ETIMEDOUT error (a
   * stalled link fails fast instead of holding the run until its deadline).
   */
  private async open(path: string, optional: boolean): Promise<Opened | undefined> {
    const { options } = this;
    const url = new URL(path, this.base).toString();
    this.count++;
    options.onRequest?.('GET', url);
    const idleMs = options.idleTimeoutMs ?? 60_000;
    const idle = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(Object.assign(new Error(`no data from the upstream for ${idleMs} ms`), { code: 'ETIMEDOUT' })), idleMs);
      timer.unref();
    };
    arm();
    let res: Response;
    try {
      res = await fetch(url, { signal: options.signal ? AbortSignal.any([options.signal, idle.signal]) : idle.signal, headers: options.authorization ? { authorization: options.authorization } : {} });
    } catch (err) {
      clearTimeout(timer);
      if (options.signal?.aborted) throw err;
      throw options.explainNetwork(idle.signal.aborted ? idle.signal.reason : err, url);
    }
    if (res.status !== 200) {
      clearTimeout(timer);
      await res.body?.cancel();
      if (res.status === 404 && optional) return undefined;
      throw options.explainStatus(res.status, url);
    }
    let started = false;
    const body = async function* (): AsyncGenerator<Buffer> {
      started = true; // the stream is only wrapped once someone reads it (see close)
      const web = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>) as AsyncIterable<Buffer>;
      try {
        for await (const chunk of web) {
          arm();
          yield chunk;
        }
      } catch (err) {
        throw idle.signal.aborted ? idle.signal.reason : err;
      } finally {
        clearTimeout(timer);
      }
    };
    const close = async (): Promise<void> => {
      clearTimeout(timer);
      // A body never read is cancelled here; one being read is ended by returning its generator.
      if (!started) await res.body?.cancel().catch(() => undefined);
    };
    return { res, url, body: body(), close };
  }

  async getSmall(path: string, { maxBytes, optional = false }: { maxBytes: number; optional?: boolean }): Promise<Buffer | undefined> {
    const opened = await this.open(path, optional);
    if (!opened) return undefined;
    const { res, body, url, close } = opened;
    const tooLarge = (): Error => upstreamError(UpstreamErrorCode.tooLarge, 'upstream document larger than its limit', { path, limit: maxBytes });
    if (announcedTooLarge(res, maxBytes)) {
      await close();
      throw tooLarge();
    }
    const chunks: Buffer[] = [];
    let total = 0;
    const { signal, explainNetwork } = this.options;
    const source = (async function* (): AsyncGenerator<Buffer> {
      try {
        yield* body;
      } catch (err) {
        if (signal?.aborted) throw err;
        throw explainNetwork(err, url);
      }
    })();
    for await (const chunk of source) {
      total += chunk.length;
      if (total > maxBytes) throw tooLarge();
      await this.options.take?.(chunk.length);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }

  async download(path: string, downloadOptions: DownloadOptions): Promise<DownloadedFile> {
    return (await this.fetchFile(path, downloadOptions, false)) as DownloadedFile;
  }

  tryDownload(path: string, downloadOptions: DownloadOptions): Promise<DownloadedFile | undefined> {
    return this.fetchFile(path, downloadOptions, true);
  }

  private async fetchFile(path: string, { tmpDir, maxBytes, expect }: DownloadOptions, optional: boolean): Promise<DownloadedFile | undefined> {
    const { options } = this;
    const cap = expect?.size !== undefined ? Math.min(maxBytes, expect.size) : maxBytes;
    const opened = await this.open(path, optional);
    if (!opened) return undefined;
    const { res, url, body, close } = opened;
    const dir = await mkdtemp(join(tmpDir, 'upstream-'));
    const dispose = (): Promise<void> => rm(dir, { recursive: true, force: true });
    const file = join(dir, 'file');
    const tooLarge = () => upstreamError(UpstreamErrorCode.tooLarge, 'upstream file larger than its limit', { limit: cap });
    const hasher = new HashingLimiter(['md5', 'sha1', 'sha256', 'sha512'], cap, tooLarge, options.take);
    try {
      if (announcedTooLarge(res, cap)) throw upstreamError(UpstreamErrorCode.tooLarge, 'upstream file larger than its limit', { path, limit: cap });
      await pipeline(Readable.from(body), hasher, createWriteStream(file, { flags: 'wx' }), options.signal ? { signal: options.signal } : {});
    } catch (err) {
      await body.return(undefined).catch(() => undefined);
      await close();
      await dispose();
      if (expect && isFerryCoded(err) && (err as { code: string }).code === UpstreamErrorCode.tooLarge && cap === expect.size) {
        throw upstreamError(expect.mismatchCode, 'upstream file is longer than its signed index says', { path, expectedSize: expect.size });
      }
      if (isFerryCoded(err) || options.signal?.aborted) throw err;
      throw options.explainNetwork(err, url);
    }
    const hex = hasher.hex();
    if (expect && ((expect.size !== undefined && hasher.size !== expect.size) || hex[expect.hash.algorithm] !== expect.hash.hex.toLowerCase())) {
      await dispose();
      throw mismatch(path, expect, hasher.size, hex[expect.hash.algorithm]);
    }
    return { path: file, digest: `sha256:${hex.sha256}`, size: hasher.size, md5: hex.md5, sha1: hex.sha1, sha256: hex.sha256, sha512: hex.sha512, dispose };
  }
}

/** An UpstreamFetcher over HTTP(S) with Node's fetch (see the module contract). */
export function createHttpFetcher(options: HttpFetcherOptions): UpstreamFetcher {
  return new HttpFetcher(options);
}
