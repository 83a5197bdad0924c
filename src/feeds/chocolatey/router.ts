/**
 * HTTP surface of the chocolatey view: the NuGet v2 OData API, mounted at `/feeds/:feed/api/v2/`.
 *
 *   GET  /                                   service document
 *   GET  /$metadata                          EDMX of V2FeedPackage
 *   GET  /Packages[()][/$count]              $filter $orderby $top $skip $inlinecount
 *   GET  /Packages(Id='x',Version='y')       one entry (`/$value`: its .nupkg)
 *   GET  /FindPackagesById()?id='x'          every version of an id
 *   GET  /Search()[/$count]?searchTerm=…&targetFramework=…&includePrerelease=…
 *   GET  /GetUpdates()?packageIds=…&versions=…&includePrerelease=…&includeAllVersions=…
 *   GET  /package/<id>/<version>             the .nupkg
 *   PUT  / · /package                        push (multipart, `X-NuGet-ApiKey` = sync token)
 *   DELETE /package/<id>/<version>           delete (write token; also /<id>/<version>)
 *
 * Contract: a push is fully verified (zip, nuspec, id/version) before anything is stored; the
 * OData views read the feed state derived from the change log (feed-state.ts), never the store.
 */
import { Router, type Request, type Response } from 'express';
import { join } from 'node:path';
import type { FeedViewDeps } from '../types.js';
import { deletePackage, feedError, FeedErrorCode, feedErrorHandler, IndexCache, putPackage, sendBlob } from '../artifact/index.js';
import { ChocolateyFeedState } from './feed-state.js';
import { inspectNupkg, CHOCOLATEY_ARTIFACT_TYPE, CHOCOLATEY_CONFIG_MEDIA_TYPE, NUPKG_MEDIA_TYPE, type NupkgMeta } from './nuspec.js';
import { renderEntry, renderMetadata, renderServiceDocument } from './odata.js';
import { answerCollection, literal, type Collection } from './query.js';
import { receivePackage, type ReceivedFile } from './push.js';
import { normalize } from './version.js';
import type { ZipLimits } from './zip.js';

export interface ChocolateyRouterOptions {
  /** Largest accepted .nupkg. */
  maxUploadBytes?: number;
  zipLimits?: ZipLimits;
  /** Most entries per Atom page before a `next` link (default 100). */
  pageSize?: number;
}

function feedOf(req: Request): string {
  return String(req.params.feed ?? '');
}

/** Absolute URL of this view's root, with a trailing slash (`xml:base` of every document). */
function baseUrl(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? '127.0.0.1'}${req.baseUrl}/`;
}

function sendXml(res: Response, body: string, type: string): void {
  res.setHeader('Content-Type', `${type};charset=utf-8`);
  res.setHeader('DataServiceVersion', '2.0;');
  res.setHeader('Cache-Control', 'no-cache');
  res.send(body);
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    throw feedError(FeedErrorCode.invalidRequest, 'malformed path', {});
  }
}

const KEY = /^\/Packages\(Id='((?:[^']|'')+)',Version='((?:[^']|'')+)'\)(\/\$value)?$/;
const COLLECTION = /^\/(Packages|Search|FindPackagesById|GetUpdates)(?:\(\))?(\/\$count)?$/;

/** Shared state of one mounted view. */
interface Context {
  deps: FeedViewDeps;
  states: IndexCache<NupkgMeta, ChocolateyFeedState>;
  tmpDir: string;
  maxUploadBytes: number;
  zipLimits: ZipLimits | undefined;
  pageSize: number | undefined;
}

async function feedState(ctx: Context, req: Request, access: 'read' | 'write'): Promise<{ feed: string; state: ChocolateyFeedState }> {
  const feed = feedOf(req);
  ctx.deps.authorize(req, feed, access);
  const state = ctx.states.get(feed);
  await state.refresh();
  return { feed, state };
}

async function push(ctx: Context, req: Request, res: Response): Promise<void> {
  const feed = feedOf(req);
  ctx.deps.authorize(req, feed, 'write');
  const file = await receivePackage(req, { tmpDir: ctx.tmpDir, maxBytes: ctx.maxUploadBytes });
  try {
    const meta = await storeNupkg(ctx.deps, feed, file, ctx.zipLimits);
    ctx.deps.log.info({ feed, id: meta.id, version: meta.normalizedVersion }, 'nuget package stored');
    res.status(201).end();
  } finally {
    await file.dispose();
  }
}

async function download(ctx: Context, req: Request, res: Response, id: string, version: string): Promise<void> {
  const { state } = await feedState(ctx, req, 'read');
  const hit = state.find(id, version);
  if (!hit) throw feedError(FeedErrorCode.notFound, 'no such package version', {});
  const m = hit.record.metadata;
  await sendBlob(req, res, ctx.deps.store, hit.record.repository, hit.record.file, {
    contentType: 'application/zip',
    fileName: `${m.id}.${m.normalizedVersion}.nupkg`,
  });
}

async function remove(ctx: Context, req: Request, res: Response): Promise<void> {
  const feed = feedOf(req);
  ctx.deps.authorize(req, feed, 'write');
  const version = normalize(String(req.params.version));
  const id = String(req.params.id).toLowerCase();
  if (!version || !(await deletePackage(ctx.deps.store, feed, id, version, { origin: 'local' }))) {
    throw feedError(FeedErrorCode.notFound, 'no such package version', {});
  }
  res.status(204).end();
}

/** Every other GET: `$metadata`, an entry by key (or its `$value`), a collection (or its `$count`). */
async function odata(ctx: Context, req: Request, res: Response): Promise<void> {
  const path = decodePath(req.path);
  if (path === '/$metadata') {
    ctx.deps.authorize(req, feedOf(req), 'read');
    return sendXml(res, renderMetadata(), 'application/xml');
  }
  const key = KEY.exec(path);
  if (key) {
    const [id, version] = [key[1]!.replace(/''/g, "'"), key[2]!.replace(/''/g, "'")];
    if (key[3]) return download(ctx, req, res, id, version);
    const { state } = await feedState(ctx, req, 'read');
    const hit = state.find(id, version);
    if (!hit) throw feedError(FeedErrorCode.notFound, 'no such package version', {});
    const semVer2 = /^[2-9]/.test(literal(query(req).semVerLevel));
    return sendXml(res, renderEntry(semVer2 ? hit.props : hit.legacyProps, baseUrl(req)), 'application/atom+xml');
  }
  const coll = COLLECTION.exec(path);
  if (!coll) {
    ctx.deps.authorize(req, feedOf(req), 'read');
    throw feedError(FeedErrorCode.notFound, 'no such resource', {});
  }
  const { state } = await feedState(ctx, req, 'read');
  const answer = answerCollection(state, coll[1] as Collection, query(req), baseUrl(req), coll[2] !== undefined, ctx.pageSize);
  if (answer.type === 'count') {
    res.setHeader('Content-Type', 'text/plain;charset=utf-8');
    res.send(String(answer.count));
    return;
  }
  sendXml(res, answer.xml, 'application/atom+xml');
}

export function createChocolateyRouter(deps: FeedViewDeps, { maxUploadBytes = 1024 * 1024 * 1024, zipLimits, pageSize }: ChocolateyRouterOptions = {}): Router {
  const states = new IndexCache<NupkgMeta, ChocolateyFeedState>(deps.store, CHOCOLATEY_ARTIFACT_TYPE, (index) => new ChocolateyFeedState(index), deps.log);
  const ctx: Context = { deps, states, tmpDir: join(deps.dataDir, 'tmp', 'chocolatey'), maxUploadBytes, zipLimits, pageSize };
  const router = Router({ mergeParams: true });
  // `nuget push` 2.x PUTs to the source root, `choco push` and newer clients to …/package.
  router.put('/', (req, res) => push(ctx, req, res));
  router.put('/package', (req, res) => push(ctx, req, res));
  router.get('/', (req, res) => {
    deps.authorize(req, feedOf(req), 'read');
    sendXml(res, renderServiceDocument(baseUrl(req)), 'application/xml');
  });
  router.get('/package/:id/:version', (req, res) => download(ctx, req, res, String(req.params.id), String(req.params.version)));
  // `nuget delete` 2.x sends DELETE <source>/<id>/<version>; newer clients …/package/<id>/<version>.
  router.delete('/package/:id/:version', (req, res) => remove(ctx, req, res));
  router.delete('/:id/:version', (req, res) => remove(ctx, req, res));
  router.get(/^\/.+$/, (req, res) => odata(ctx, req, res));
  router.use(feedErrorHandler(deps.log));
  return router;
}

function query(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.query)) {
    const value = Array.isArray(v) ? v[0] : v;
    if (typeof value === 'string') out[k] = value;
  }
  return out;
}

/** Verifies and stores one received .nupkg; throws FEED_* codes before writing anything. */
export async function storeNupkg(deps: Pick<FeedViewDeps, 'store'>, feed: string, file: ReceivedFile, zipLimits?: ZipLimits, origin = 'local'): Promise<NupkgMeta> {
  const meta = await inspectNupkg(file.path, file.size, zipLimits);
  await putPackage<NupkgMeta>(
    deps.store,
    {
      feed,
      // NuGet ids are case-insensitive: the lower-cased id names the repository, so `Foo` and
      // `foo` are one package; the declared spelling is kept in the metadata.
      name: meta.id.toLowerCase(),
      version: meta.normalizedVersion,
      fileName: `${meta.id}.${meta.normalizedVersion}.nupkg`,
      fileMediaType: NUPKG_MEDIA_TYPE,
      artifactType: CHOCOLATEY_ARTIFACT_TYPE,
      configMediaType: CHOCOLATEY_CONFIG_MEDIA_TYPE,
      metadata: meta,
      file: { path: file.path, digest: file.digest, size: file.size },
    },
    { origin },
  );
  return meta;
}

