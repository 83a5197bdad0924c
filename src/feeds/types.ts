/**
 * Contract between the server (src/server) and the native feed views (src/feeds/<type>).
 *
 * Every feed type is stored as OCI content in the Store (DESIGN.md section 3): a package version
 * is an ORAS-style artifact in repository `<feed>/<package>`, tagged with its (tag-safe) version.
 * A feed type contributes an express Router that the server mounts at `/feeds/:feed/<mount>/`
 * for feeds of that type; the router renders native indexes from the store and accepts uploads.
 */
import type { Router, Request } from 'express';
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import type { FeedType } from '../topology/model.js';

export type Access = 'read' | 'write';

/**
 * Checks that the caller of `req` may access `feed`; throws a FerryError with code
 * `AUTH_UNAUTHORIZED` (no/unknown token, → 401 with a challenge) or `AUTH_DENIED` (→ 403).
 * Implemented by the server from the site's incoming rules.
 */
export type Authorize = (req: Request, feed: string, access: Access) => void;

export interface FeedViewDeps {
  store: Store;
  authorize: Authorize;
  log: Logger;
  /** Directory for caches and keys of the feed views (under the site's dataDir). */
  dataDir: string;
}

export interface FeedView {
  type: FeedType;
  /** Path segment under `/feeds/:feed/`, e.g. `files`, `debian`, `rpm`, `api/v2` (chocolatey). */
  mount: string;
  /** Router mounted with `mergeParams`; `req.params.feed` is the feed name. */
  createRouter(deps: FeedViewDeps): Router;
}
