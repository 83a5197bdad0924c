/**
 * The debian feed view: an APT repository (Debian wiki "DebianRepository/Format") at
 * `/feeds/<feed>/debian/`:
 *
 *   PUT  upload[?dist=<dist>]                      .deb body, write access → 201 + JSON
 *   GET  key.asc                                   the armored public signing key
 *   GET  dists/<dist>/{Release,InRelease,Release.gpg}
 *   GET  dists/<dist>/main/binary-<arch>/Packages{,.gz}
 *   GET  pool/main/<p>/<name>/<name>_<version>_<arch>.deb
 *   DELETE packages/<name>/<version>/<arch>[?dist=] write access → 204
 *
 * Every read answers from the feed's DebianFeedState, refreshed from the change log first (one
 * cheap query when nothing changed). An upload is spooled, parsed and validated before anything
 * is written to the store; on any error nothing is stored.
 */
import { join } from 'node:path';
import { Router, type Request, type Response } from 'express';
import type { FeedViewDeps } from '../types.js';
import { deletePackage, feedError, feedErrorHandler, FeedErrorCode, IndexCache, putPackage, sendBlob, spoolUpload, toTag, type PackageIndex, type PackageRecord, type SpooledFile } from '../artifact/index.js';
import type { Store } from '../../store/store.js';
import { loadSigningKey, type SigningKey } from '../signing/index.js';
import { parseDeb, type ParsedDeb } from './deb.js';
import { DebianFeedState } from './feed-state.js';
import { DebianMediaType, DEFAULT_DIST, DIST_PATTERN, debianTagSource, type DebianMetadata } from './metadata.js';
import { debFileName } from './stanza.js';

export interface DebianViewOptions {
  /** Largest accepted .deb (default 2 GiB). */
  maxUploadBytes?: number;
  /** Armored private signing key file (the site's `secretRef: {file}`); else generated. */
  signingKeyFile?: string;
  /** The armored private signing key itself (a resolved `secretRef`); wins over the file. */
  signingKeyArmored?: string;
  signingKeyPassphrase?: string;
}

const ARCH_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;

function feedOf(req: Request): string {
  return String(req.params.feed);
}

function distParam(value: unknown): string {
  const dist = value === undefined ? DEFAULT_DIST : String(value);
  if (!DIST_PATTERN.test(dist)) throw feedError(FeedErrorCode.invalidRequest, 'invalid dist name', { dist: dist.slice(0, 80) });
  return dist;
}

interface DebianContext extends FeedViewDeps {
  maxUploadBytes: number;
  states: IndexCache<DebianMetadata, DebianFeedState>;
  key: () => Promise<SigningKey>;
}

async function fresh(ctx: DebianContext, req: Request): Promise<DebianFeedState> {
  const feed = feedOf(req);
  ctx.authorize(req, feed, 'read');
  const state = ctx.states.get(feed);
  await state.index.refresh();
  return state;
}

async function upload(ctx: DebianContext, req: Request, res: Response): Promise<void> {
  const feed = feedOf(req);
  ctx.authorize(req, feed, 'write');
  const dist = distParam(req.query.dist);
  const spooled = await spoolUpload(req, { tmpDir: `${ctx.dataDir}/tmp`, maxBytes: ctx.maxUploadBytes });
  try {
    const { deb, record } = await storeDeb(ctx.store, feed, spooled, { dist, origin: 'local' });
    await ctx.states.get(feed).index.refresh();
    ctx.log.info({ feed, name: deb.name, version: deb.version, architecture: deb.architecture, dist }, 'debian package published');
    res.status(201).json({ name: deb.name, version: deb.version, architecture: deb.architecture, dist, filename: DebianFeedState.poolPath(record), sha256: spooled.sha256, size: spooled.size });
  } finally {
    await spooled.dispose();
  }
}

/** A .deb on local disk whose digests were computed while it was written (spoolUpload or equivalent). */
export type DebFile = Pick<SpooledFile, 'path' | 'digest' | 'size' | 'md5' | 'sha1' | 'sha256'>;

/**
 * Parses, validates and stores one .deb from disk as a package of `feed` in `dist` (the path an
 * upload takes): throws FEED_* codes before anything is written. `origin` is recorded in the
 * store's change log (`local` for uploads, `replication:<name>` for mirrored packages).
 */
export async function storeDeb(store: Store, feed: string, file: DebFile, { dist = DEFAULT_DIST, origin = 'local' }: { dist?: string; origin?: string } = {}): Promise<{ deb: ParsedDeb; record: PackageRecord<DebianMetadata> }> {
  if (!DIST_PATTERN.test(dist)) throw feedError(FeedErrorCode.invalidRequest, 'invalid dist name', { dist: dist.slice(0, 80) });
  const deb = await parseDeb(file.path);
  const fileName = debFileName(deb.name, deb.version, deb.architecture);
  const metadata: DebianMetadata = { control: deb.control, architecture: deb.architecture, dist, component: 'main', md5: file.md5, sha1: file.sha1, sha256: file.sha256, size: file.size };
  const record = await putPackage(
    store,
    {
      feed, name: deb.name, version: deb.version, tag: toTag(debianTagSource(deb.version, deb.architecture, dist)), fileName,
      fileMediaType: DebianMediaType.file, artifactType: DebianMediaType.artifact, configMediaType: DebianMediaType.config, metadata,
      file: { path: file.path, digest: file.digest, size: file.size },
    },
    { origin },
  );
  return { deb, record };
}

async function remove(ctx: DebianContext, req: Request, res: Response): Promise<void> {
  const feed = feedOf(req);
  ctx.authorize(req, feed, 'write');
  const dist = distParam(req.query.dist);
  const name = String(req.params.name);
  const version = String(req.params.version);
  const arch = String(req.params.arch);
  const tag = toTag(debianTagSource(version, arch, dist));
  if (!(await deletePackage(ctx.store, feed, name, version, { origin: 'local' }, { tag }))) throw feedError(FeedErrorCode.notFound, 'no such package', { name, version, arch });
  await ctx.states.get(feed).index.refresh();
  res.status(204).end();
}

async function releaseFile(ctx: DebianContext, req: Request, res: Response): Promise<void> {
  const state = await fresh(ctx, req);
  const file = String(req.params.file);
  if (!['Release', 'InRelease', 'Release.gpg'].includes(file)) throw feedError(FeedErrorCode.notFound, 'no such index file', {});
  const signed = await state.release(distParam(req.params.dist), feedOf(req), await ctx.key());
  if (!signed) throw feedError(FeedErrorCode.notFound, 'no such dist', { dist: req.params.dist });
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('Last-Modified', signed.date.toUTCString());
  const since = Date.parse(String(req.headers['if-modified-since'] ?? ''));
  if (!Number.isNaN(since) && since >= signed.date.getTime()) {
    res.status(304).end();
    return;
  }
  if (file === 'Release') res.type('text/plain').send(signed.release);
  else if (file === 'InRelease') res.type('text/plain').send(signed.inRelease);
  else res.type('application/pgp-signature').send(signed.releaseGpg);
}

async function packagesFile(ctx: DebianContext, req: Request, res: Response): Promise<void> {
  const state = await fresh(ctx, req);
  const binaryArch = String(req.params.binaryArch);
  const arch = binaryArch.startsWith('binary-') ? binaryArch.slice('binary-'.length) : '';
  const file = String(req.params.file);
  if (!ARCH_PATTERN.test(arch) || (file !== 'Packages' && file !== 'Packages.gz')) throw feedError(FeedErrorCode.notFound, 'no such index file', {});
  const packages = state.packages(distParam(req.params.dist), arch);
  if (!packages) throw feedError(FeedErrorCode.notFound, 'no such dist', { dist: req.params.dist });
  res.setHeader('Cache-Control', 'no-cache');
  if (file === 'Packages') res.type('text/plain').send(packages.plain());
  else res.type('application/gzip').send(packages.gz());
}

async function poolFile(ctx: DebianContext, req: Request, res: Response): Promise<void> {
  const state = await fresh(ctx, req);
  const segments = req.params.path as unknown as string[];
  const record = state.pool.get(`pool/${segments.join('/')}`);
  if (!record) throw feedError(FeedErrorCode.notFound, 'no such package file', {});
  await sendBlob(req, res, ctx.store, record.repository, record.file, { contentType: DebianMediaType.file });
}

export function createDebianRouter(deps: FeedViewDeps, options: DebianViewOptions = {}): Router {
  const ctx: DebianContext = {
    ...deps,
    maxUploadBytes: options.maxUploadBytes ?? 2 * 1024 ** 3,
    states: new IndexCache<DebianMetadata, DebianFeedState>(deps.store, DebianMediaType.artifact, (index: PackageIndex<DebianMetadata>) => new DebianFeedState(index), deps.log, join(deps.dataDir, 'cache', 'debian')),
    key: () => loadSigningKey({ dataDir: deps.dataDir, keyFile: options.signingKeyFile, armoredKey: options.signingKeyArmored, passphrase: options.signingKeyPassphrase }),
  };
  const router = Router({ mergeParams: true });
  router.put('/upload', (req, res) => upload(ctx, req, res));
  router.delete('/packages/:name/:version/:arch', (req, res) => remove(ctx, req, res));
  router.get('/key.asc', async (req: Request, res: Response) => {
    ctx.authorize(req, feedOf(req), 'read');
    res.type('application/pgp-keys').send((await ctx.key()).publicKeyArmored);
  });
  router.get('/dists/:dist/:file', (req, res) => releaseFile(ctx, req, res));
  router.get('/dists/:dist/main/:binaryArch/:file', (req, res) => packagesFile(ctx, req, res));
  router.get('/pool/*path', (req, res) => poolFile(ctx, req, res));
  router.use(feedErrorHandler(deps.log));
  return router;
}
