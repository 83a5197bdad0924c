/**
 * Auth layer: anonymous, HTTP Basic, ferry sync tokens (sent as Bearer; as the Basic password of
 * user `ferry` when the server challenges with Basic) and the Docker/OCI Bearer token challenge
 * flow (https://distribution.github.io/distribution/spec/auth/token/): on a 401 with
 * `WWW-Authenticate: Bearer realm=…,service=…,scope=…` a token is fetched from the realm (with
 * Basic credentials when there are some) for the request's scopes and cached per scope set until
 * it expires. Once a registry has challenged, later requests authenticate up front (no 401
 * round trip per request). A 401 is retried once with new credentials, and only when the body
 * can be replayed; otherwise the 401 is returned for the caller to map to OCI_UNAUTHORIZED.
 *
 * Secrets never leave this file except in Authorization headers: `credentialHint()` describes the
 * credential for errors (user name, or the first 8 hex of the token's sha256).
 */
import { FerryError, NextAction } from '../../errors/index.js';
import { sanitizeUrl, tokenHint } from '../../util/index.js';
import { OciErrorCode } from '../errors.js';
import { drain, header, isReplayable, readText, type HttpRequest, type HttpResponse, type Send } from './types.js';

export type Credentials = { username: string; password: string } | { token: string };

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses the first challenge of a `WWW-Authenticate` header (RFC 7235, quoted or token values). */
export function parseChallenge(value: string | undefined): Challenge | undefined {
  if (!value) return undefined;
  const match = /^\s*([A-Za-z]+)\s*(.*)$/.exec(value);
  if (!match?.[1]) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (let m = re.exec(match[2] ?? ''); m; m = re.exec(match[2] ?? '')) {
    if (m[1]) params[m[1].toLowerCase()] = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1');
  }
  return { scheme: match[1].toLowerCase(), params };
}

export function credentialHint(credentials: Credentials | undefined): string {
  if (!credentials) return 'anonymous access';
  if ('token' in credentials) return `token ${tokenHint(credentials.token)}… (sha256 prefix)`;
  return `basic credentials of user ${JSON.stringify(credentials.username)}`;
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

interface CachedToken {
  value: string;
  expiresAt: number;
}

const TOKEN_RESPONSE_LIMIT = 64 * 1024;

export function withAuth(next: Send, credentials: Credentials | undefined, tokenSend: Send = next): Send {
  let challenge: Challenge | undefined;
  const tokens = new Map<string, CachedToken>();
  const inflight = new Map<string, Promise<string>>();

  const scopesOf = (request: HttpRequest): string[] => {
    if (request.scopes && request.scopes.length > 0) return request.scopes;
    return challenge?.params.scope ? challenge.params.scope.split(' ') : [];
  };

  const fetchToken = async (scopes: string[], signal: AbortSignal | undefined): Promise<string> => {
    const realm = challenge?.params.realm;
    if (!realm) throw new FerryError(OciErrorCode.protocol, 'Bearer challenge without realm', { next: NextAction.fix });
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new FerryError(OciErrorCode.protocol, 'Bearer challenge with an invalid realm URL', { next: NextAction.fix });
    }
    if (challenge?.params.service) url.searchParams.set('service', challenge.params.service);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (credentials && 'username' in credentials) headers.authorization = basic(credentials.username, credentials.password);
    if (credentials && 'token' in credentials) headers.authorization = basic('ferry', credentials.token);
    const response = await tokenSend({ method: 'GET', url, headers, ...(signal ? { signal } : {}) });
    const text = await readText(response.body, TOKEN_RESPONSE_LIMIT);
    const data = { url: sanitizeUrl(url), status: response.status, credential: credentialHint(credentials) };
    if (response.status === 401 || response.status === 403) {
      throw new FerryError(OciErrorCode.unauthorized, `token service refused ${credentialHint(credentials)}`, { data, next: NextAction.fix });
    }
    if (response.status !== 200) {
      throw new FerryError(OciErrorCode.server, `token service answered HTTP ${response.status}`, { data, next: NextAction.backoff });
    }
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new FerryError(OciErrorCode.protocol, 'token service answered with invalid JSON', { data, next: NextAction.backoff });
    }
    const token = typeof body.token === 'string' ? body.token : typeof body.access_token === 'string' ? body.access_token : undefined;
    if (!token) throw new FerryError(OciErrorCode.protocol, 'token service answered without a token', { data, next: NextAction.backoff });
    const ttl = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60;
    tokens.set(scopes.slice().sort().join(' '), { value: token, expiresAt: Date.now() + Math.max(1, ttl - 10) * 1000 });
    return token;
  };

  const bearerFor = async (request: HttpRequest, refresh: boolean): Promise<string> => {
    const scopes = scopesOf(request);
    const key = scopes.slice().sort().join(' ');
    const cached = tokens.get(key);
    if (!refresh && cached && cached.expiresAt > Date.now()) return cached.value;
    let pending = inflight.get(key);
    if (!pending) {
      pending = fetchToken(scopes, request.signal).finally(() => inflight.delete(key));
      inflight.set(key, pending);
    }
    return pending;
  };

  /** The Authorization header to send now, from what the server has told us so far. */
  const authorization = async (request: HttpRequest, refresh: boolean): Promise<string | undefined> => {
    if (challenge?.scheme === 'bearer' && challenge.params.realm) return `Bearer ${await bearerFor(request, refresh)}`;
    if (!credentials) return undefined;
    if (challenge?.scheme === 'basic') {
      return 'token' in credentials ? basic('ferry', credentials.token) : basic(credentials.username, credentials.password);
    }
    if ('token' in credentials) return `Bearer ${credentials.token}`;
    return undefined; // Basic only after a challenge: never send a password to a server that did not ask
  };

  const sendWith = (request: HttpRequest, value: string | undefined): Promise<HttpResponse> =>
    next(value ? { ...request, headers: { ...request.headers, authorization: value } } : request);

  return async (request) => {
    const first = await authorization(request, false);
    const response = await sendWith(request, first);
    if (response.status !== 401 || !isReplayable(request.body)) return response;
    const parsed = parseChallenge(header(response.headers, 'www-authenticate'));
    if (!parsed || (parsed.scheme !== 'bearer' && parsed.scheme !== 'basic')) return response;
    const before = challenge;
    challenge = parsed;
    if (parsed.scheme === 'bearer' && !parsed.params.realm && credentials && 'token' in credentials) {
      challenge = before; // a ferry server asking for a Bearer it already got: the token is wrong
      return response;
    }
    const second = await authorization(request, true);
    if (second === undefined || second === first) return response;
    await drain(response.body);
    return sendWith(request, second);
  };
}
