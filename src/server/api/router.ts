/**
 * The replication API at `/api/v1` and the health check:
 *   GET /api/v1/feeds                                → {feeds: [{name, type, createdAt}]} the caller can read
 *   GET /api/v1/feeds/:feed/changes?since=N&limit=M  → {changes, last} from the feed's change log
 *   GET /healthz                                     → {status: "ok"} (no auth)
 * Pulling sites poll `changes` with their cursor, so an idle poll is one request (DESIGN.md section 3).
 */
import { Router } from 'express';
import type { Store } from '../../store/store.js';
import type { Authorizer } from '../auth/authorizer.js';
import { serverError, ServerErrorCode } from '../errors.js';
import { intParam, stringParam } from '../http-util.js';

export const CHANGES_DEFAULT_LIMIT = 500;
export const CHANGES_MAX_LIMIT = 1000;
const FEED = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export interface ApiDeps {
  store: Store;
  authorizer: Authorizer;
}

export function createApiRouter({ store, authorizer }: ApiDeps): Router {
  const router = Router();

  router.get('/feeds', async (req, res) => {
    authorizer.authenticate(req);
    const feeds = (await store.feedList()).filter((f) => !f.retired && authorizer.allows(req, f.name, 'read'));
    res.json({ feeds: feeds.map(({ name, type, createdAt }) => ({ name, type, createdAt })) });
  });

  router.get('/feeds/:feed/changes', async (req, res) => {
    const feedName = String(req.params.feed);
    if (!FEED.test(feedName)) throw serverError(ServerErrorCode.nameInvalid, 'invalid feed name');
    authorizer.authorize(req, feedName, 'read');
    const since = intParam(stringParam(req.query.since), ServerErrorCode.badRequest, 'since') ?? 0;
    const limit = Math.min(intParam(stringParam(req.query.limit), ServerErrorCode.badRequest, 'limit') ?? CHANGES_DEFAULT_LIMIT, CHANGES_MAX_LIMIT);
    const feed = await store.feedGet(feedName);
    if (!feed || feed.retired) throw serverError(ServerErrorCode.nameUnknown, 'feed unknown', { feed: feedName });
    const page = await store.changes(feedName, since, limit);
    res.json({ changes: page.changes, last: page.last });
  });

  router.use(() => {
    throw serverError(ServerErrorCode.routeUnknown, 'no such endpoint');
  });
  return router;
}

export function createHealthRouter(): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  return router;
}
