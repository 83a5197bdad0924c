/**
 * HTTP surface of the rpm feed view, mounted at `/feeds/:feed/rpm/`:
 *
 *   PUT  upload                       write token; body = one .rpm (spooled, size-capped)
 *   GET  repodata/repomd.xml          createrepo_c-compatible index (sha256 checksums)
 *   GET  repodata/repomd.xml.asc      detached OpenPGP signature of repomd.xml (if the feed signs)
 *   GET  repodata/<sha>-<kind>.xml.gz primary / filelists / other (also as `<kind>.xml.gz`)
 *   GET  Packages/<file>.rpm          the package, streamed from its layer blob (Range, ETag)
 *   DELETE Packages/<file>.rpm        write token; removes that NEVRA from the feed
 *   GET  key.asc                      the public key that signs repomd.xml
 *
 * Contract: an upload is fully parsed and checked before anything is written; a refused upload
 * (malformed, truncated, bad NEVRA, over the cap, Content-Length lie) leaves the store and the
 * repodata unchanged. Repodata is derived from the change log (repo-state.ts), never rebuilt
 * from the store per request.
 */
import { Router, type Request, type Response } from 'express';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { FeedViewDeps } from '../types.js';
import {
  deletePackage,
  feedError,
  FeedErrorCode,
  feedErrorHandler,
  IndexCache,
  putPackage,
  sendBlob,
  spoolUpload,
  type PackageRecord,
  type SpooledFile,
} from '../artifact/index.js';
import { inspectRpm, rpmVersionKey, RPM_ARTIFACT_TYPE, RPM_CONFIG_MEDIA_TYPE, RPM_FILE_MEDIA_TYPE, type RpmPackageMeta } from './metadata.js';
import { RpmRepoState } from './repo-state.js';
import { loadSigningKey, type SigningKey } from '../signing/index.js';

export interface RpmRouterOptions {
  /** Largest accepted .rpm. */
  maxUploadBytes?: number;
  /** Sign repomd.xml (`repomd.xml.asc`) with the site's key; default true. */
  signRepomd?: boolean;
  /** Armored private signing key file (resolved from the site's secretRef); else generated. */
  signingKeyFile?: string;
  /** The armored private signing key itself (a resolved `secretRef`); wins over the file. */
  signingKeyArmored?: string;
  signingKeyPassphrase?: string;
}

const FILE_NAME = /^[A-Za-z0-9._+~^-]{1,300}\.rpm$/;
const REPODATA_NAME = /^(?:[0-9a-f]{64}-)?(?:primary|filelists|other)\.xml\.gz$/;

function feedOf(req: Request): string {
  return String(req.params.feed ?? '');
}

/** Shared state of one mounted view. */
interface Context {
  deps: FeedViewDeps;
  states: IndexCache<RpmPackageMeta, RpmRepoState>;
  tmpDir: string;
  maxUploadBytes: number;
}

/** Authorizes `access` to the request's feed and returns that feed's state. */
function stateOf(ctx: Context, req: Request, access: 'read' | 'write'): RpmRepoState {
  const feed = feedOf(req);
  ctx.deps.authorize(req, feed, access);
  return ctx.states.get(feed);
}

async function upload(ctx: Context, req: Request, res: Response): Promise<void> {
  const feed = feedOf(req);
  ctx.deps.authorize(req, feed, 'write');
  const spooled = await spoolUpload(req, { tmpDir: ctx.tmpDir, maxBytes: ctx.maxUploadBytes });
  try {
    const state = ctx.states.get(feed);
    await state.index.refresh();
    const record = await storeRpm(ctx.deps, feed, spooled, 'local', (meta) => {
      // Two NEVRAs differing only in epoch share a file name (`Packages/<file>`): refuse the second.
      const other = state.packageByFileName(meta.fileName);
      if (other && other.version !== rpmVersionKey(meta)) {
        throw feedError(FeedErrorCode.conflict, 'another epoch of this package has the same file name', { fileName: meta.fileName });
      }
    });
    ctx.deps.log.info({ feed, name: record.name, version: record.version }, 'rpm package stored');
    res.status(201).json({ name: record.name, version: record.version, fileName: record.fileName, digest: record.file.digest });
  } finally {
    await spooled.dispose();
  }
}

/** The package record served as `Packages/<req.params.file>`; FEED_NOT_FOUND otherwise. */
async function packageOf(state: RpmRepoState, req: Request): Promise<PackageRecord<RpmPackageMeta>> {
  const name = String(req.params.file);
  await state.index.refresh();
  const record = FILE_NAME.test(name) ? state.packageByFileName(name) : undefined;
  if (!record) throw feedError(FeedErrorCode.notFound, 'no such package file', {});
  return record;
}

async function removePackage(ctx: Context, req: Request, res: Response): Promise<void> {
  const record = await packageOf(stateOf(ctx, req, 'write'), req);
  if (!(await deletePackage(ctx.deps.store, record.feed, record.name, record.version, { origin: 'local' }))) {
    throw feedError(FeedErrorCode.notFound, 'no such package file', {});
  }
  ctx.deps.log.info({ feed: record.feed, name: record.name, version: record.version }, 'rpm package deleted');
  res.status(204).end();
}

async function repodataFile(ctx: Context, req: Request, res: Response): Promise<void> {
  const state = stateOf(ctx, req, 'read');
  const name = String(req.params.file);
  const file = REPODATA_NAME.test(name) ? await state.file(name) : undefined;
  if (!file) throw feedError(FeedErrorCode.notFound, 'no such repodata file', {});
  sendSmall(res, file.gz, 'application/gzip', file.checksum);
}

export function createRpmRouter(deps: FeedViewDeps, options: RpmRouterOptions = {}): Router {
  const { maxUploadBytes = 2 * 1024 * 1024 * 1024, signRepomd = true } = options;
  // The site's one repository key (shared with the debian view), loaded on first use.
  const key = (): Promise<SigningKey> | undefined =>
    signRepomd ? loadSigningKey({ dataDir: deps.dataDir, keyFile: options.signingKeyFile, armoredKey: options.signingKeyArmored, passphrase: options.signingKeyPassphrase }) : undefined;
  const sign = signRepomd ? async (data: Buffer): Promise<string> => (await key()!).detachSign(data) : undefined;
  const states = new IndexCache<RpmPackageMeta, RpmRepoState>(deps.store, RPM_ARTIFACT_TYPE, (index) => new RpmRepoState(index, sign), deps.log);
  const ctx: Context = { deps, states, tmpDir: join(deps.dataDir, 'tmp', 'rpm'), maxUploadBytes };
  const router = Router({ mergeParams: true });

  router.put('/upload', (req, res) => upload(ctx, req, res));
  router.get('/repodata/repomd.xml', async (req, res) => {
    sendSmall(res, (await stateOf(ctx, req, 'read').repodata()).repomd, 'application/xml');
  });
  router.get('/repodata/repomd.xml.asc', async (req, res) => {
    const gen = await stateOf(ctx, req, 'read').repodata();
    if (!gen.repomdSignature) throw feedError(FeedErrorCode.notFound, 'this feed does not sign its repodata', {});
    sendSmall(res, Buffer.from(gen.repomdSignature, 'utf8'), 'application/pgp-signature');
  });
  router.get('/repodata/:file', (req, res) => repodataFile(ctx, req, res));
  router.get('/Packages/:file', async (req, res) => {
    const record = await packageOf(stateOf(ctx, req, 'read'), req);
    await sendBlob(req, res, deps.store, record.repository, record.file, { contentType: RPM_FILE_MEDIA_TYPE });
  });
  router.delete('/Packages/:file', (req, res) => removePackage(ctx, req, res));
  router.get('/key.asc', async (req, res) => {
    stateOf(ctx, req, 'read');
    const k = key();
    if (!k) throw feedError(FeedErrorCode.notFound, 'this feed has no signing key', {});
    sendSmall(res, Buffer.from((await k).publicKeyArmored, 'utf8'), 'application/pgp-keys');
  });
  router.use(feedErrorHandler(deps.log));
  return router;
}

/**
 * Parses, validates and stores one spooled .rpm; throws FEED_* codes before writing anything
 * (`check` may veto the parsed package by throwing).
 */
export async function storeRpm(
  deps: Pick<FeedViewDeps, 'store'>,
  feed: string,
  spooled: SpooledFile,
  origin = 'local',
  check?: (meta: RpmPackageMeta) => void,
): Promise<PackageRecord<RpmPackageMeta>> {
  const meta = await inspectRpm(spooled.path, spooled.sha256);
  check?.(meta);
  return putPackage<RpmPackageMeta>(
    deps.store,
    {
      feed,
      name: meta.name,
      version: rpmVersionKey(meta),
      fileName: meta.fileName,
      fileMediaType: RPM_FILE_MEDIA_TYPE,
      artifactType: RPM_ARTIFACT_TYPE,
      configMediaType: RPM_CONFIG_MEDIA_TYPE,
      metadata: meta,
      file: { path: spooled.path, digest: spooled.digest, size: spooled.size },
    },
    { origin },
  );
}

/**
 * Sends an in-memory document with a strong ETag (sha256 of the bytes, or the one given);
 * `If-None-Match` gives 304, so a client polling an unchanged repository transfers nothing.
 */
function sendSmall(res: Response, body: Buffer, contentType: string, sha256?: string): void {
  const etag = `"${sha256 ?? createHash('sha256').update(body).digest('hex')}"`;
  res.setHeader('ETag', etag);
  res.setHeader('Cache-Control', 'no-cache');
  const inm = res.req.headers['if-none-match'];
  if (inm && inm.split(',').some((v) => v.trim().replace(/^W\//, '') === etag)) {
    res.status(304).end();
    return;
  }
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', String(body.length));
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
