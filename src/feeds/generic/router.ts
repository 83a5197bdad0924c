/**
 * The generic (files) feed view at `/feeds/<feed>/files/`:
 *
 *   PUT    <path>                  body = the file (write) → 201 {path, version, digest, size};
 *                                  the same content as the newest version → 200, no new version
 *   GET    <path>[?version=<n>]    the newest (or given) version: ETag = sha256, If-None-Match
 *                                  → 304, Range → 206, `X-Ferry-Version: <n>`
 *   HEAD   <path>[?version=<n>]    the same headers
 *   GET    <path>?versions         JSON list of every stored version
 *   GET    <dir>/ (or `files/`)    JSON directory listing (a directory path without `/` too)
 *   DELETE <path>[?version=<n>]    every version (or one) → 204
 *
 * Every overwrite is a new version (tag `v<n>`, n = newest + 1), older versions stay
 * addressable. Paths are validated and mapped to repositories as described in paths.ts.
 */
import { join } from 'node:path';
import { Router, type Request, type Response } from 'express';
import type { FeedViewDeps } from '../types.js';
import { feedError, feedErrorHandler, FeedErrorCode, IndexCache, putPackage, sendBlob, spoolUpload, type PackageIndex } from '../artifact/index.js';
import { GenericFeedState, type FileRecord } from './feed-state.js';
import { FileMediaType, safeContentType, type FileMetadata } from './metadata.js';
import { fileRepository, normalisePath, versionTag } from './paths.js';

export interface GenericViewOptions {
  /** Largest accepted file (default 4 GiB; raise it for feeds of disk images). */
  maxUploadBytes?: number;
}

interface ParsedTarget {
  path: string;
  /** The request named a directory (trailing slash or the feed root). */
  dir: boolean;
}

function target(req: Request): ParsedTarget {
  const raw = (req.params.path as unknown as string[] | undefined) ?? [];
  if (raw.length === 0 || (raw.length === 1 && raw[0] === '')) return { path: '', dir: true };
  const dir = raw[raw.length - 1] === '';
  return { path: normalisePath(dir ? raw.slice(0, -1) : raw), dir };
}

function versionParam(req: Request): number | undefined {
  const value = req.query.version;
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[1-9]\d{0,14}$/.test(value)) throw feedError(FeedErrorCode.invalidRequest, 'version must be a positive integer', {});
  return Number(value);
}

function describe(record: FileRecord): Record<string, unknown> {
  return { path: record.metadata.path, version: record.versionNumber, digest: record.file.digest, size: record.file.size, contentType: record.metadata.contentType, uploadedAt: record.metadata.uploadedAt };
}

interface GenericContext extends FeedViewDeps {
  maxUploadBytes: number;
  states: IndexCache<FileMetadata, GenericFeedState>;
  /** Serialises writers of one path in this process, so version numbers are not handed out twice. */
  locks: Map<string, Promise<unknown>>;
}

async function fresh(ctx: GenericContext, req: Request, access: 'read' | 'write'): Promise<GenericFeedState> {
  const feed = String(req.params.feed);
  ctx.authorize(req, feed, access);
  const state = ctx.states.get(feed);
  await state.index.refresh();
  return state;
}

function withLock<T>(ctx: GenericContext, key: string, fn: () => Promise<T>): Promise<T> {
  const previous = ctx.locks.get(key) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(fn);
  ctx.locks.set(key, next);
  void next.finally(() => ctx.locks.get(key) === next && ctx.locks.delete(key)).catch(() => undefined);
  return next;
}

async function putFile(ctx: GenericContext, req: Request, res: Response): Promise<void> {
  const feed = String(req.params.feed);
  ctx.authorize(req, feed, 'write');
  const { path, dir } = target(req);
  if (dir) throw feedError(FeedErrorCode.invalidPath, 'cannot upload to a directory path', {});
  const spooled = await spoolUpload(req, { tmpDir: `${ctx.dataDir}/tmp`, maxBytes: ctx.maxUploadBytes });
  try {
    const result = await withLock(ctx, `${feed}/${path}`, async () => {
      const state = await fresh(ctx, req, 'write');
      const latest = state.file(path);
      if (latest && latest.file.digest === spooled.digest) return { status: 200, record: latest };
      const version = state.latestVersion(path) + 1;
      const metadata: FileMetadata = { path, contentType: safeContentType(req.headers['content-type']), size: spooled.size, sha256: spooled.sha256, uploadedAt: new Date().toISOString() };
      await putPackage(ctx.store, {
        feed, name: path, version: String(version), tag: versionTag(version), repository: fileRepository(feed, path),
        fileName: path.split('/').pop() as string, fileMediaType: FileMediaType.layer, artifactType: FileMediaType.artifact,
        configMediaType: FileMediaType.config, metadata, file: { path: spooled.path, digest: spooled.digest, size: spooled.size },
      }, { origin: 'local' });
      await state.index.refresh();
      return { status: 201, record: state.file(path, version) as FileRecord };
    });
    ctx.log.info({ feed, path, version: result.record.versionNumber }, 'file published');
    res.status(result.status).json(describe(result.record));
  } finally {
    await spooled.dispose();
  }
}

async function getFile(ctx: GenericContext, req: Request, res: Response): Promise<void> {
  const state = await fresh(ctx, req, 'read');
  const { path, dir } = target(req);
  const directory = path === '' ? '' : `${path}/`;
  if (dir || (!state.file(path) && state.isDir(directory))) {
    const entries = state.list(directory);
    if (!entries) throw feedError(FeedErrorCode.notFound, 'no such directory', {});
    res.setHeader('Cache-Control', 'no-cache');
    res.json({ path: directory, entries });
    return;
  }
  if (req.query.versions !== undefined) {
    const versions = state.versions(path);
    if (versions.length === 0) throw feedError(FeedErrorCode.notFound, 'no such file', {});
    res.json({ path, versions: versions.map(describe) });
    return;
  }
  const record = state.file(path, versionParam(req));
  if (!record) throw feedError(FeedErrorCode.notFound, 'no such file or version', {});
  res.setHeader('X-Ferry-Version', String(record.versionNumber));
  const pinned = req.query.version !== undefined;
  await sendBlob(req, res, ctx.store, record.repository, record.file, { contentType: record.metadata.contentType, cacheControl: pinned ? undefined : 'no-cache' });
}

async function deleteFile(ctx: GenericContext, req: Request, res: Response): Promise<void> {
  const feed = String(req.params.feed);
  const state = await fresh(ctx, req, 'write');
  const { path, dir } = target(req);
  if (dir) throw feedError(FeedErrorCode.invalidPath, 'cannot delete a directory', {});
  const version = versionParam(req);
  const victims = version === undefined ? state.versions(path) : [state.file(path, version)].filter((r): r is FileRecord => r !== undefined);
  if (victims.length === 0) throw feedError(FeedErrorCode.notFound, 'no such file or version', {});
  await withLock(ctx, `${feed}/${path}`, async () => {
    for (const record of victims) await ctx.store.manifestDelete(record.repository, record.manifestDigest, { origin: 'local' });
  });
  await state.index.refresh();
  ctx.log.info({ feed, path, versions: victims.length }, 'file deleted');
  res.status(204).end();
}

export function createGenericRouter(deps: FeedViewDeps, options: GenericViewOptions = {}): Router {
  const ctx: GenericContext = {
    ...deps,
    maxUploadBytes: options.maxUploadBytes ?? 4 * 1024 ** 3,
    states: new IndexCache<FileMetadata, GenericFeedState>(deps.store, FileMediaType.artifact, (index: PackageIndex<FileMetadata>) => new GenericFeedState(index), deps.log, join(deps.dataDir, 'cache', 'generic')),
    locks: new Map(),
  };
  const router = Router({ mergeParams: true });
  router.get('/', (req, res) => getFile(ctx, req, res));
  router.put('/*path', (req, res) => putFile(ctx, req, res));
  router.get('/*path', (req, res) => getFile(ctx, req, res));
  router.delete('/*path', (req, res) => deleteFile(ctx, req, res));
  router.use(feedErrorHandler(deps.log));
  return router;
}
