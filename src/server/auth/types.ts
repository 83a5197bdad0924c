import type { Access, IncomingRule } from '../../topology/model.js';

export type { Access, IncomingRule };

/**
 * Who may connect to this server. `incoming` has the shape of `Site.spec.incoming` (DESIGN.md
 * section 2): each rule holds the sha256 of a sync token, `read` or `write` (write implies read)
 * and the feed-name globs it opens. `anonymousRead` lets requests without a token read every feed.
 */
export interface AuthConfig {
  incoming: readonly IncomingRule[];
  anonymousRead: boolean;
  /** Realm of the Basic challenge; default `ferry`. */
  realm?: string;
}

/** A fixed config or a getter read on every request, so the rules can be swapped without restart. */
export type AuthSource = AuthConfig | (() => AuthConfig);

export function authGetter(source: AuthSource): () => AuthConfig {
  return typeof source === 'function' ? source : () => source;
}

/** A holder whose config can be replaced at any time (topology commit, SIGHUP). */
export interface AuthHolder {
  get: () => AuthConfig;
  set: (config: AuthConfig) => void;
}

export function createAuthHolder(initial: AuthConfig): AuthHolder {
  let current = initial;
  return {
    get: () => current,
    set: (config) => {
      current = config;
    },
  };
}
