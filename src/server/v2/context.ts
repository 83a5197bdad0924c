/**
 * What every /v2 handler needs, and the one function that turns a request's repository name
 * into an authorised, existing repository (`openRepository`).
 */
import type { Request } from 'express';
import type { Logger } from 'pino';
import type { Store } from '../../store/store.js';
import type { Authorizer } from '../auth/authorizer.js';
import type { Access } from '../auth/types.js';
import { serverError, ServerErrorCode } from '../errors.js';
import { parseRepositoryName, type RepositoryName } from './names.js';
import type { UploadSessions } from './upload-sessions.js';

export interface V2Context {
  store: Store;
  authorizer: Authorizer;
  log: Logger;
  uploads: UploadSessions;
  /** Create an `oci` feed on the first write by a token with write access to it. */
  autoCreateOciFeeds: boolean;
  maxManifestBytes: number;
}

/**
 * Validates the name (NAME_INVALID), checks access to its feed (401/403 before anything about
 * the feed is revealed), and checks that the feed exists and is not retired (NAME_UNKNOWN).
 * A write to a missing feed creates it as an `oci` feed when `autoCreateOciFeeds` is on.
 *
 * Writes to feeds of other types (debian, rpm …) are allowed: /v2 is the transport of push
 * replication for every feed type (DESIGN.md section 3); only the creation is limited to `oci`.
 */
export async function openRepository(ctx: V2Context, req: Request, rawName: string, access: Access): Promise<RepositoryName> {
  const repo = parseRepositoryName(rawName);
  ctx.authorizer.authorize(req, repo.feed, access);
  const feed = await ctx.store.feedGet(repo.feed);
  if (feed && !feed.retired) return repo;
  if (!feed && access === 'write' && ctx.autoCreateOciFeeds) {
    await ctx.store.feedEnsure(repo.feed, 'oci');
    ctx.log.info({ feed: repo.feed }, 'oci feed created on first push');
    return repo;
  }
  throw serverError(ServerErrorCode.nameUnknown, 'repository name not known to registry', { name: repo.name });
}
