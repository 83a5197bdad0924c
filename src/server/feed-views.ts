/**
 * Mounts the native feed views (src/feeds/<type>) at `/feeds/:feed/<mount>`: a request reaches a
 * view's router only when the feed exists, is not retired and has the view's type; anything else
 * under `/feeds/` is 404 (NAME_UNKNOWN). Views authorise themselves through `deps.authorize`
 * (src/feeds/types.ts); `req.params.feed` is the feed name (views use `mergeParams`).
 */
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { FeedView, FeedViewDeps } from '../feeds/types.js';
import type { FeedRecord } from '../store/store.js';
import { serverError, ServerErrorCode } from './errors.js';

const FEED = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function createFeedViewsRouter(views: readonly FeedView[], deps: FeedViewDeps): Router {
  const outer = Router({ mergeParams: true });
  const unknownFeed = (req: Request) =>
    serverError(ServerErrorCode.nameUnknown, 'feed unknown or has no such view', { feed: String(req.params.feed).slice(0, 64) });

  // One store lookup per request, whatever the number of views.
  outer.use('/feeds/:feed', async (req: Request, res: Response, next: NextFunction) => {
    const name = String(req.params.feed);
    const feed = FEED.test(name) ? await deps.store.feedGet(name) : undefined;
    if (!feed || feed.retired) throw unknownFeed(req);
    res.locals.ferryFeed = feed;
    next();
  });
  for (const view of views) {
    const inner = view.createRouter(deps);
    const mount = `/feeds/:feed/${view.mount.replace(/^\/+|\/+$/g, '')}`;
    outer.use(mount, (req: Request, res: Response, next: NextFunction) => {
      const feed = res.locals.ferryFeed as FeedRecord | undefined;
      if (feed?.type !== view.type) {
        next();
        return;
      }
      inner(req, res, next);
    });
  }
  outer.use('/feeds/:feed', (req: Request) => {
    throw unknownFeed(req);
  });
  return outer;
}
