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

export function createGenericRouter(deps: FeedViewDeps, options: GenericViewOptions = {}): Router {
  const { store, authorize, log, dataDir } = deps;
  const maxUploadBytes = options.maxUploadBytes ?? 4 * 1024 ** 3;
  const states = new IndexCache<FileMetadata, GenericFeedState>(store, FileMediaType.artifact, (index: PackageIndex<FileMetadata>) => new GenericFeedState(index), log);
  /** Serialises writers of one path in this process, so version numbers are not handed out twice. */
  const locks = new Map<string, Promise<unknown>>();
  const router = Router({ mergeParams: true });

  async function fresh(req: Request, access: 'read' | 'write'): Promise<GenericFeedState> {
    const feed = String(req.params.feed);
    authorize(req, feed, access);
    const state = states.get(feed);
    await state.index.refresh();
    return state;
  }

  function withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = locks.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(fn);
    locks.set(key, next);
    void next.finally(() => locks.get(key) === next && locks.delete(key)).catch(() => undefined);
    return next;
  }

  async function put(req: Request, res: Response): Promise<void> {
    const feed = String(req.params.feed);
    authorize(req, feed, 'write');
    const { path, dir } = target(req);
    if (dir) throw feedError(FeedErrorCode.invalidPath, 'cannot upload to a directory path', {});
    const spooled = await spoolUpload(req, { tmpDir: `${dataDir}/tmp`, maxBytes: maxUploadBytes });
    try {
      const result = await withLock(`${feed}/${path}`, async () => {
        const state = await fresh(req, 'write');
        const latest = state.file(path);
        if (latest && latest.file.digest === spooled.digest) return { status: 200, record: latest };
        const version = state.latestVersion(path) + 1;
        const metadata: FileMetadata = { path, contentType: safeContentType(req.headers['content-type']), size: spooled.size, sha256: spooled.sha256, uploadedAt: new Date().toISOString() };
        await putPackage(store, {
          feed, name: path, version: String(version), tag: versionTag(version), repository: fileRepository(feed, path),
          fileName: path.split('/').pop() as string, fileMediaType: FileMediaType.layer, artifactType: FileMediaType.artifact,
          configMediaType: FileMediaType.config, metadata, file: { path: spooled.path, digest: spooled.digest, size: spooled.size },
        }, { origin: 'local' });
        await state.index.refresh();
        return { status: 201, record: state.file(path, version) as FileRecord };
      });
      log.info({ feed, path, version: result.record.versionNumber }, 'file published');
      res.status(result.status).json(describe(result.record));
    } finally {
      await spooled.dispose();
    }
  }

  async function get(req: Request, res: Response): Promise<void> {
    const state = await fresh(req, 'read');
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
    await sendBlob(req, res, store, record.repository, record.file, { contentType: record.metadata.contentType, cacheControl: pinned ? undefined : 'no-cache' });
  }

  async function remove(req: Request, res: Response): Promise<void> {
    const feed = String(req.params.feed);
    const state = await fresh(req, 'write');
    const { path, dir } = target(req);
    if (dir) throw feedError(FeedErrorCode.invalidPath, 'cannot delete a directory', {});
    const version = versionParam(req);
    const victims = version === undefined ? state.versions(path) : [state.file(path, version)].filter((r): r is FileRecord => r !== undefined);
    if (victims.length === 0) throw feedError(FeedErrorCode.notFound, 'no such file or version', {});
    await withLock(`${feed}/${path}`, async () => {
      for (const record of victims) await store.manifestDelete(record.repository, record.manifestDigest, { origin: 'local' });
    });
    await state.index.refresh();
    log.info({ feed, path, versions: victims.length }, 'file deleted');
    res.status(204).end();
  }

  router.get('/', get);
  router.put('/*path', put);
  router.get('/*path', get);
  router.delete('/*path', remove);
  router.use(feedErrorHandler(log));
  return router;
}
