/**
 * HTTP surface of the chocolatey view: the NuGet v2 OData API, mounted at `/feeds/:feed/api/v2/`.
 *
 *   GET  /                                   service document
 *   GET  /$metadata                          EDMX of V2FeedPackage
 *   GET  /Packages[()][/$count]              $filter $orderby $top $skip $inlinecount
 *   GET  /Packages(Id='x',Version='y')       one entry
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

const KEY = /^\/Packages\(Id='((?:[^']|'')+)',Version='((?:[^']|'')+)'\)$/;
const COLLECTION = /^\/(Packages|Search|FindPackagesById|GetUpdates)(?:\(\))?(\/\$count)?$/;

export function createChocolateyRouter(deps: FeedViewDeps, { maxUploadBytes = 1024 * 1024 * 1024, zipLimits, pageSize }: ChocolateyRouterOptions = {}): Router {
  const { store, authorize, log } = deps;
  const tmpDir = join(deps.dataDir, 'tmp', 'chocolatey');
  const states = new IndexCache<NupkgMeta, ChocolateyFeedState>(store, CHOCOLATEY_ARTIFACT_TYPE, (index) => new ChocolateyFeedState(index), log);
  const router = Router({ mergeParams: true });

  const push = async (req: Request, res: Response): Promise<void> => {
    const feed = feedOf(req);
    authorize(req, feed, 'write');
    const file = await receivePackage(req, { tmpDir, maxBytes: maxUploadBytes });
    try {
      const meta = await storeNupkg(deps, feed, file, zipLimits);
      log.info({ feed, id: meta.id, version: meta.normalizedVersion }, 'nuget package stored');
      res.status(201).end();
    } finally {
      await file.dispose();
    }
  };
  router.put('/', push);
  router.put('/package', push);

  router.get('/', (req, res) => {
    authorize(req, feedOf(req), 'read');
    sendXml(res, renderServiceDocument(baseUrl(req)), 'application/xml');
  });

  router.get('/package/:id/:version', async (req, res) => {
    const feed = feedOf(req);
    authorize(req, feed, 'read');
    const state = states.get(feed);
    await state.refresh();
    const hit = state.find(String(req.params.id), String(req.params.version));
    if (!hit) throw feedError(FeedErrorCode.notFound, 'no such package version', {});
    const m = hit.record.metadata;
    await sendBlob(req, res, store, hit.record.repository, hit.record.file, {
      contentType: 'application/zip',
      fileName: `${m.id}.${m.normalizedVersion}.nupkg`,
    });
  });

  // `nuget delete` 2.x sends DELETE <source>/<id>/<version>; newer clients …/package/<id>/<version>.
  const remove = async (req: Request, res: Response): Promise<void> => {
    const feed = feedOf(req);
    authorize(req, feed, 'write');
    const version = normalize(String(req.params.version));
    const id = String(req.params.id).toLowerCase();
    if (!version || !(await deletePackage(store, feed, id, version, { origin: 'local' }))) {
      throw feedError(FeedErrorCode.notFound, 'no such package version', {});
    }
    res.status(204).end();
  };
  router.delete('/package/:id/:version', remove);
  router.delete('/:id/:version', remove);

  router.get(/^\/.+$/, async (req, res) => {
    const feed = feedOf(req);
    authorize(req, feed, 'read');
    const path = decodePath(req.path);
    if (path === '/$metadata') return sendXml(res, renderMetadata(), 'application/xml');
    const state = states.get(feed);
    await state.refresh();
    const key = KEY.exec(path);
    if (key) {
      const hit = state.find(key[1]!.replace(/''/g, "'"), key[2]!.replace(/''/g, "'"));
      if (!hit) throw feedError(FeedErrorCode.notFound, 'no such package version', {});
      const semVer2 = /^[2-9]/.test(literal(query(req).semVerLevel));
      return sendXml(res, renderEntry(semVer2 ? hit.props : hit.legacyProps, baseUrl(req)), 'application/atom+xml');
    }
    const coll = COLLECTION.exec(path);
    if (!coll) throw feedError(FeedErrorCode.notFound, 'no such resource', {});
    const answer = answerCollection(state, coll[1] as Collection, query(req), baseUrl(req), coll[2] !== undefined, pageSize);
    if (answer.type === 'count') {
      res.setHeader('Content-Type', 'text/plain;charset=utf-8');
      res.send(String(answer.count));
      return;
    }
    sendXml(res, answer.xml, 'application/atom+xml');
  });

  router.use(feedErrorHandler(log));
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

