/**
 * The OCI distribution API v1.1 at `/v2`
 * (https://github.com/opencontainers/distribution-spec/blob/v1.1.0/spec.md). Repository names
 * contain slashes, so routes are regular expressions anchored on the endpoint suffix; the name
 * is validated by each handler (`openRepository`).
 */
import { Router, type Request, type Response } from 'express';
import { challenge, serverError, ServerErrorCode } from '../errors.js';
import { decodeSegment } from '../http-util.js';
import { blobDelete, blobGet } from './blobs.js';
import type { V2Context } from './context.js';
import { catalog, referrers, tagsList } from './listing.js';
import { manifestDelete, manifestGet, manifestPut } from './manifests.js';
import { uploadCancel, uploadFinish, uploadPatch, uploadStart, uploadStatus } from './uploads.js';

const MANIFEST = /^\/(.+)\/manifests\/([^/]+)$/;
const UPLOADS = /^\/(.+)\/blobs\/uploads\/?$/;
const UPLOAD = /^\/(.+)\/blobs\/uploads\/([^/]+)$/;
const BLOB = /^\/(.+)\/blobs\/([^/]+)$/;
const TAGS = /^\/(.+)\/tags\/list$/;
const REFERRERS = /^\/(.+)\/referrers\/([^/]+)$/;

type Handler = (ctx: V2Context, req: Request, res: Response, name: string, arg: string) => Promise<void>;

function route(ctx: V2Context, handler: Handler) {
  return async (req: Request, res: Response): Promise<void> => {
    const params = req.params as unknown as Record<string, string>;
    await handler(ctx, req, res, decodeSegment(params[0] ?? ''), decodeSegment(params[1] ?? ''));
  };
}

export function createV2Router(ctx: V2Context): Router {
  const router = Router({ caseSensitive: true, strict: true });
  router.use((_req, res, next) => {
    res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
    next();
  });

  // Base check. With anonymousRead the answer is 200, still with a challenge so clients holding
  // credentials send them (containers/image reads challenges from a 200 too).
  router.get(/^\/?$/, (req, res) => {
    const identity = ctx.authorizer.authenticate(req);
    if (identity.kind === 'anonymous') res.setHeader('WWW-Authenticate', challenge(ctx.authorizer.config().realm ?? 'ferry'));
    res.status(200).json({});
  });
  router.get('/_catalog', (req, res) => catalog(ctx, req, res));

  router.get(MANIFEST, route(ctx, manifestGet)); // also HEAD
  router.put(MANIFEST, route(ctx, manifestPut));
  router.delete(MANIFEST, route(ctx, manifestDelete));

  router.post(UPLOADS, route(ctx, (c, req, res, name) => uploadStart(c, req, res, name)));
  router.patch(UPLOAD, route(ctx, uploadPatch));
  router.put(UPLOAD, route(ctx, uploadFinish));
  router.get(UPLOAD, route(ctx, uploadStatus));
  router.delete(UPLOAD, route(ctx, uploadCancel));

  router.get(BLOB, route(ctx, blobGet)); // also HEAD
  router.delete(BLOB, route(ctx, (c, req, _res, name, digest) => blobDelete(c, req, name, digest)));

  router.get(TAGS, route(ctx, (c, req, res, name) => tagsList(c, req, res, name)));
  router.get(REFERRERS, route(ctx, referrers));

  router.use(() => {
    throw serverError(ServerErrorCode.routeUnknown, 'no such endpoint');
  });
  return router;
}
