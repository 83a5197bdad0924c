/**
 * Error codes of the controller's Git source (fetching the topology repository), and the one
 * place that turns isomorphic-git / transport failures into them. Messages never contain
 * credentials: URLs are sanitised and only status codes are quoted.
 */
import { FerryError, NextAction, isFerryError } from '../errors/index.js';
import { sanitizeUrl } from '../util/sanitize-url.js';
import { GitErrorCode } from './errors.js';

export const GitSourceErrorCode = {
  /** The server rejected the credentials (401/403), or asked for some and none were given. Fix. */
  auth: 'GIT_AUTH',
  /** The repository or the ref does not exist (404, unknown ref, not a Git repository). Fix. */
  notFound: 'GIT_NOT_FOUND',
  /** Network failure, timeout or 5xx. Back off and retry. */
  connection: 'GIT_CONNECTION',
  /** Certificate or TLS handshake failure. Fix. */
  tls: 'GIT_TLS',
  /** A response over the size cap. Fix (or raise the cap). */
  tooLarge: 'GIT_RESPONSE_TOO_LARGE',
  /** The commit is not signed by a trusted key (topology.verifyCommits). Fix. */
  untrustedCommit: 'GIT_UNTRUSTED_COMMIT',
} as const;
export type GitSourceErrorCode = (typeof GitSourceErrorCode)[keyof typeof GitSourceErrorCode];

interface IsoGitError {
  code?: unknown;
  data?: { statusCode?: unknown; ref?: unknown; what?: unknown };
}

function httpStatusError(status: number, where: string, cause: unknown): FerryError {
  if (status === 401 || status === 403) {
    return new FerryError(GitSourceErrorCode.auth, `the Git server at ${where} rejected the credentials (HTTP ${status}): check topology.credentials`, {
      data: { url: where, status },
      next: NextAction.fix,
      cause,
    });
  }
  if (status === 404 || status === 410) {
    return new FerryError(GitSourceErrorCode.notFound, `no Git repository at ${where} (HTTP ${status})`, { data: { url: where, status }, next: NextAction.fix, cause });
  }
  const next = status === 429 || status === 503 ? NextAction.retry : NextAction.backoff;
  return new FerryError(GitSourceErrorCode.connection, `the Git server at ${where} answered HTTP ${status}`, { data: { url: where, status }, next, cause });
}

/**
 * Converts anything thrown while talking to the repository at `url` into a FerryError with one
 * of the codes above (FerryErrors from the transport pass through unchanged).
 */
export function toGitSourceError(err: unknown, url: string, ref: string): FerryError {
  const where = sanitizeUrl(url) === '<invalid url>' ? url : sanitizeUrl(url);
  if (isFerryError(err)) {
    if (err.code === GitErrorCode.revisionNotFound || err.code === GitErrorCode.notARepository) {
      return new FerryError(GitSourceErrorCode.notFound, err.message, { data: { url: where, ref }, next: NextAction.fix, cause: err });
    }
    return err;
  }
  const e = (err ?? {}) as IsoGitError;
  if (e.code === 'HttpError' && typeof e.data?.statusCode === 'number') return httpStatusError(e.data.statusCode, where, err);
  if (e.code === 'NotFoundError' || e.code === 'SmartHttpError') {
    const what = e.code === 'SmartHttpError' ? `${where} is not a Git smart-HTTP repository` : `ref ${JSON.stringify(ref)} not found in ${where}`;
    return new FerryError(GitSourceErrorCode.notFound, what, { data: { url: where, ref }, next: NextAction.fix, cause: err });
  }
  return new FerryError(GitSourceErrorCode.connection, `fetching ${where} failed (${String(e.code ?? 'unknown error')})`, {
    data: { url: where, ref },
    next: NextAction.backoff,
    cause: err,
  });
}

/** `GIT_NOT_FOUND` for a ref the server does not advertise. */
export function refNotFound(url: string, ref: string): FerryError {
  const where = sanitizeUrl(url);
  return new FerryError(GitSourceErrorCode.notFound, `ref ${JSON.stringify(ref)} not found in ${where}`, { data: { url: where, ref }, next: NextAction.fix });
}
