/**
 * The sync token a replication presents to a peer (`spec.token.secretRef`), resolved at this
 * site, with the non-secret identity used in error messages (hash hint and where it came from).
 */
import { tokenHint } from '../util/token.js';
import type { PeerErrorContext } from './errors.js';
import type { JobContext, PeerSite } from './types.js';

export interface PeerIdentity {
  token?: string;
  error: PeerErrorContext;
}

export function peerIdentity(ctx: Pick<JobContext, 'task' | 'resolveSecret'>, peer: PeerSite): PeerIdentity {
  const ref = ctx.task.token;
  const token = ref ? ctx.resolveSecret(ref) : undefined;
  const tokenSource = ref ? (ref.env ? `env ${ref.env}` : `file ${ref.file}`) : undefined;
  return {
    ...(token ? { token } : {}),
    error: { site: peer.site, url: peer.url, ...(token ? { tokenHint: tokenHint(token) } : {}), ...(tokenSource ? { tokenSource } : {}) },
  };
}
