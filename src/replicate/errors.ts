/**
 * Replication error codes, and the one place that turns a low-level failure talking to a peer
 * into a message an operator can act on ("the seed's failure mode made obvious"): a rejected
 * token names the peer and the token's hash hint, a DNS failure names the host, a refused
 * connection names the URL, a TLS failure says so. Never includes the token itself.
 */
import { FerryError, NextAction, isFerryError } from '../errors/index.js';
import { sanitizeUrl } from '../util/sanitize-url.js';

export const ReplicationErrorCode = {
  peerUnauthorized: 'REPLICATION_PEER_UNAUTHORIZED',
  peerDenied: 'REPLICATION_PEER_DENIED',
  peerFeedUnknown: 'REPLICATION_PEER_FEED_UNKNOWN',
  peerUnreachable: 'REPLICATION_PEER_UNREACHABLE',
  peerDns: 'REPLICATION_PEER_DNS',
  peerTls: 'REPLICATION_PEER_TLS',
  peerError: 'REPLICATION_PEER_ERROR',
  peerProtocol: 'REPLICATION_PEER_PROTOCOL',
  deleteGuard: 'REPLICATION_DELETE_GUARD',
  deadline: 'REPLICATION_DEADLINE',
  tokenMissing: 'REPLICATION_TOKEN_MISSING',
  budgetExhausted: 'REPLICATION_BUDGET_EXHAUSTED',
} as const;

export interface PeerErrorContext {
  site: string;
  url: string;
  /** First hex digits of the presented token's sha256, or undefined when no token was sent. */
  tokenHint?: string;
  tokenSource?: string;
}

const networkCodes: Record<string, { code: string; what: string; next: NextAction }> = {
  ECONNREFUSED: { code: ReplicationErrorCode.peerUnreachable, what: 'connection refused', next: NextAction.backoff },
  ECONNRESET: { code: ReplicationErrorCode.peerUnreachable, what: 'connection reset', next: NextAction.backoff },
  EHOSTUNREACH: { code: ReplicationErrorCode.peerUnreachable, what: 'host unreachable', next: NextAction.backoff },
  ENETUNREACH: { code: ReplicationErrorCode.peerUnreachable, what: 'network unreachable', next: NextAction.backoff },
  ETIMEDOUT: { code: ReplicationErrorCode.peerUnreachable, what: 'connection timed out', next: NextAction.backoff },
  UND_ERR_CONNECT_TIMEOUT: { code: ReplicationErrorCode.peerUnreachable, what: 'connection timed out', next: NextAction.backoff },
  UND_ERR_SOCKET: { code: ReplicationErrorCode.peerUnreachable, what: 'connection closed', next: NextAction.backoff },
  ENOTFOUND: { code: ReplicationErrorCode.peerDns, what: 'host name not found (DNS)', next: NextAction.backoff },
  EAI_AGAIN: { code: ReplicationErrorCode.peerDns, what: 'DNS lookup failed temporarily', next: NextAction.backoff },
};

function systemCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (networkCodes[code] || /CERT|SSL|TLS/.test(code))) return code;
  }
  return undefined;
}

/** An error for a network-level failure reaching a peer. */
export function peerNetworkError(err: unknown, peer: PeerErrorContext): FerryError {
  const code = systemCode(err);
  const url = sanitizeUrl(peer.url);
  if (code && /CERT|SSL|TLS/.test(code)) {
    return new FerryError(ReplicationErrorCode.peerTls, `TLS with ${peer.site} at ${url} failed (${code}): check the peer's certificate and this site's trust store`, {
      data: { site: peer.site, url, reason: code }, next: NextAction.fix, cause: err,
    });
  }
  const known = code ? networkCodes[code] : undefined;
  if (known) {
    const host = (() => { try { return new URL(peer.url).host; } catch { return url; } })();
    const message = known.code === ReplicationErrorCode.peerDns
      ? `cannot resolve ${host} of ${peer.site} (${known.what}): check spec.url of site ${peer.site}`
      : `cannot connect to ${peer.site} at ${url}: ${known.what}`;
    return new FerryError(known.code, message, { data: { site: peer.site, url, reason: code }, next: known.next, cause: err });
  }
  return new FerryError(ReplicationErrorCode.peerUnreachable, `cannot reach ${peer.site} at ${url}: ${(err as Error)?.message ?? String(err)}`, {
    data: { site: peer.site, url }, next: NextAction.backoff, cause: err,
  });
}

/** An error for an HTTP status from a peer. */
export function peerStatusError(status: number, peer: PeerErrorContext, detail = ''): FerryError {
  const url = sanitizeUrl(peer.url);
  const data = { site: peer.site, url, status, ...(peer.tokenHint ? { tokenHint: peer.tokenHint } : {}) };
  if (status === 401) {
    const which = peer.tokenHint
      ? `rejected the sync token (sha256 ${peer.tokenHint}…${peer.tokenSource ? ` from ${peer.tokenSource}` : ''}): it matches no incoming rule there`
      : 'requires a sync token and none is configured (set spec.token.secretRef on the replication)';
    return new FerryError(ReplicationErrorCode.peerUnauthorized, `${peer.site} at ${url} answered 401: ${which}`, { data, next: NextAction.fix });
  }
  if (status === 403) {
    return new FerryError(ReplicationErrorCode.peerDenied, `${peer.site} at ${url} answered 403: the sync token${peer.tokenHint ? ` (sha256 ${peer.tokenHint}…)` : ''} is valid but its incoming rule does not open this feed with the access needed`, { data, next: NextAction.fix });
  }
  if (status === 404) {
    return new FerryError(ReplicationErrorCode.peerFeedUnknown, `${peer.site} at ${url} answered 404${detail ? `: ${detail}` : ''}: the feed does not exist there (yet)`, { data, next: NextAction.retry });
  }
  if (status === 429 || status === 503) {
    return new FerryError(ReplicationErrorCode.peerError, `${peer.site} at ${url} is busy (${status})`, { data, next: NextAction.retry });
  }
  return new FerryError(ReplicationErrorCode.peerError, `${peer.site} at ${url} answered ${status}${detail ? `: ${detail}` : ''}`, { data, next: status >= 500 ? NextAction.backoff : NextAction.fix });
}

/**
 * Adds the peer's identity to an error raised by the OCI client (its codes are `OCI_*`), so the
 * condition message names the site, not only a URL. Returns FerryErrors unchanged otherwise.
 */
export function explainPeerFailure(err: unknown, peer: PeerErrorContext): FerryError {
  if (isFerryError(err)) {
    if (err.code === 'OCI_UNAUTHORIZED') return peerStatusError(401, peer);
    if (err.code === 'OCI_DENIED') return peerStatusError(403, peer);
    if (err.code === 'OCI_CONNECTION') return peerNetworkError(err.cause ?? err, peer);
    if (err.code === 'OCI_TLS') return peerNetworkError(err.cause ?? err, peer);
    return err;
  }
  return peerNetworkError(err, peer);
}

/** True when trying another peer (a fallback hub) could help. */
export function isPeerUnavailable(err: unknown): boolean {
  if (!isFerryError(err)) return true;
  return err.code === ReplicationErrorCode.peerUnreachable || err.code === ReplicationErrorCode.peerDns
    || (err.code === ReplicationErrorCode.peerError && err.next !== NextAction.fix);
}
