/**
 * Access decisions for every surface of the server (/v2, /api/v1, the feed views).
 *
 *   no token, anonymousRead and a read      → allowed
 *   no token otherwise, or an unknown token → AUTH_UNAUTHORIZED (401 + Basic challenge)
 *   known token without the access / feed   → AUTH_DENIED (403)
 *
 * An unknown token is refused even where anonymous reads are allowed: a client that presents a
 * wrong token should learn about it rather than silently see less.
 */
import type { Request } from 'express';
import type { Logger } from 'pino';
import { FerryError } from '../../errors/index.js';
import { silentLogger } from '../../log/index.js';
import type { Authorize } from '../../feeds/types.js';
import { AuthErrorCode } from './errors.js';
import { grantingRule, identify, type Identity } from './identify.js';
import type { Access, AuthConfig } from './types.js';

export interface Authorizer {
  /** Throws AUTH_UNAUTHORIZED / AUTH_DENIED; implements `Authorize` of src/feeds/types.ts. */
  authorize: Authorize;
  /** True when the caller may `access` the feed (no throw); for filtering lists. */
  allows: (req: Request, feed: string, access: Access) => boolean;
  /** Throws AUTH_UNAUTHORIZED unless the caller is anonymous-with-anonymousRead or a known token. */
  authenticate: (req: Request) => Identity;
  /** The current config (for the challenge realm). */
  config: () => AuthConfig;
}

// One identification per request and config: the hashes are computed once even when a request
// checks several feeds (catalog, feed list).
const cache = new WeakMap<Request, { config: AuthConfig; identity: Identity }>();

function identityOf(req: Request, config: AuthConfig): Identity {
  const hit = cache.get(req);
  if (hit && hit.config === config) return hit.identity;
  const identity = identify(req, config);
  cache.set(req, { config, identity });
  return identity;
}

/** Who made `req`, for the request log: matched rule names and the token hint; never the token. */
export function describeCaller(req: Request): { rules?: string[]; tokenHint?: string; anonymous?: true } | undefined {
  const identity = cache.get(req)?.identity;
  if (!identity) return undefined;
  if (identity.kind === 'anonymous') return { anonymous: true };
  if (identity.kind === 'invalid') return { tokenHint: identity.hint };
  return { rules: identity.rules.map((c) => c.rule.name), tokenHint: identity.hint };
}

export function createAuthorizer(getConfig: () => AuthConfig, log: Logger = silentLogger): Authorizer {
  const unauthorized = (identity: Identity): FerryError => {
    const hint = identity.kind === 'invalid' ? identity.hint : undefined;
    if (hint) log.warn({ tokenHint: hint }, 'unknown token refused');
    return new FerryError(AuthErrorCode.unauthorized, identity.kind === 'invalid' ? 'unknown token' : 'authentication required', {
      data: hint ? { tokenHint: hint } : {},
    });
  };

  const decide = (req: Request, feed: string, access: Access): FerryError | undefined => {
    const config = getConfig();
    const identity = identityOf(req, config);
    if (identity.kind === 'anonymous') {
      return config.anonymousRead && access === 'read' ? undefined : unauthorized(identity);
    }
    if (identity.kind === 'invalid') return unauthorized(identity);
    if (grantingRule(identity, feed, access)) return undefined;
    const rules = identity.rules.map((c) => c.rule.name);
    log.info({ rules, tokenHint: identity.hint, feed, access }, 'access denied');
    return new FerryError(AuthErrorCode.denied, `token has no ${access} access to feed ${feed}`, { data: { feed, access } });
  };

  return {
    authorize: (req, feed, access) => {
      const err = decide(req, feed, access);
      if (err) throw err;
    },
    allows: (req, feed, access) => decide(req, feed, access) === undefined,
    authenticate: (req) => {
      const config = getConfig();
      const identity = identityOf(req, config);
      if (identity.kind === 'invalid' || (identity.kind === 'anonymous' && !config.anonymousRead)) throw unauthorized(identity);
      return identity;
    },
    config: getConfig,
  };
}
