/**
 * `createServer(deps)`: the express app of a ferry site — `/v2` (OCI distribution API),
 * `/feeds/:feed/<mount>` (native feed views), `/api/v1` (replication API), `/healthz`, plus any
 * `extraRouters` (controller API, metrics, UI). It never listens itself: the caller owns the
 * http(s) server, so the site controller and `ferry serve` embed the same app.
 *
 * The incoming rules are read through `deps.auth` on every request: pass a getter (or an
 * AuthHolder's `get`) to swap rules on a topology commit without a restart.
 */
import express, { type Express, type Router } from 'express';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { FeedView } from '../feeds/types.js';
import { silentLogger } from '../log/index.js';
import type { Store } from '../store/store.js';
import { createApiRouter, createHealthRouter } from './api/router.js';
import { createAuthorizer, describeCaller } from './auth/authorizer.js';
import { authGetter, type AuthSource } from './auth/types.js';
import { createErrorHandler, serverError, ServerErrorCode } from './errors.js';
import { MANIFEST_SIZE_LIMIT } from '../oci/index.js';
import { createFeedViewsRouter } from './feed-views.js';
import { createV2Router } from './v2/router.js';
import { createUploadSessions } from './v2/upload-sessions.js';

/** The OCI engine's manifest limit (src/oci/media-types.ts). */
export const DEFAULT_MAX_MANIFEST_BYTES = MANIFEST_SIZE_LIMIT;

export interface ServerDeps {
  store: Store;
  /** Incoming rules: a fixed config or a getter read per request (hot-swappable). */
  auth: AuthSource;
  /** Site data directory: upload sessions go to `<dataDir>/uploads`, feed views get it too. */
  dataDir: string;
  log?: Logger;
  feedViews?: readonly FeedView[];
  /** Create `oci` feeds on the first push by a write token (default false). */
  autoCreateOciFeeds?: boolean;
  /** Mounted before the built-in routes, e.g. `{ path: '/api/v1/controller', router }`. */
  extraRouters?: ReadonlyArray<{ path: string; router: Router }>;
  /** Upload sessions directory; default `<dataDir>/uploads`. */
  uploadsDir?: string;
  /** Idle upload sessions expire after this; default 1 hour. */
  uploadTtlMs?: number;
  /** Largest blob accepted by upload; default 16 GiB. */
  maxBlobBytes?: number;
  /** Open upload sessions at most (429 TOOMANYREQUESTS beyond); default 1000. */
  maxUploadSessions?: number;
  /** Largest manifest accepted; default 4 MiB (distribution spec recommendation). */
  maxManifestBytes?: number;
}

export function createServer(deps: ServerDeps): Express {
  const log = deps.log ?? silentLogger;
  const getAuth = authGetter(deps.auth);
  const authorizer = createAuthorizer(getAuth, log);
  const uploads = createUploadSessions({
    dir: deps.uploadsDir ?? join(deps.dataDir, 'uploads'),
    ...(deps.uploadTtlMs === undefined ? {} : { ttlMs: deps.uploadTtlMs }),
    ...(deps.maxBlobBytes === undefined ? {} : { maxBytes: deps.maxBlobBytes }),
    ...(deps.maxUploadSessions === undefined ? {} : { maxSessions: deps.maxUploadSessions }),
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log.debug({ method: req.method, path: req.path, status: res.statusCode, ms: Math.round(ms * 10) / 10, caller: describeCaller(req) }, 'request');
    });
    next();
  });

  for (const extra of deps.extraRouters ?? []) app.use(extra.path, extra.router);
  app.use(createHealthRouter());
  app.use(
    '/v2',
    createV2Router({
      store: deps.store,
      authorizer,
      log,
      uploads,
      autoCreateOciFeeds: deps.autoCreateOciFeeds ?? false,
      maxManifestBytes: deps.maxManifestBytes ?? DEFAULT_MAX_MANIFEST_BYTES,
    }),
  );
  app.use('/api/v1', createApiRouter({ store: deps.store, authorizer }));
  app.use(createFeedViewsRouter(deps.feedViews ?? [], { store: deps.store, authorize: authorizer.authorize, log, dataDir: deps.dataDir }));
  app.use(() => {
    throw serverError(ServerErrorCode.routeUnknown, 'no such endpoint');
  });
  app.use(createErrorHandler({ log, realm: () => getAuth().realm ?? 'ferry' }));
  return app;
}
