/**
 * Who is calling: the token comes as `Authorization: Bearer <token>`, as the password of HTTP
 * Basic (any user name; an empty password counts as no token) or as `X-NuGet-ApiKey` (the
 * chocolatey view). It is hashed and compared in constant time against EVERY incoming rule —
 * no early exit, so the time taken does not tell which rule (or whether any) matched.
 *
 * The token itself never leaves this file: identities carry the matched rules and an 8-hex hint
 * of the token's hash for logs.
 */
import type { Request } from 'express';
import picomatch from 'picomatch';
import { tokenHint, tokenMatches } from '../../util/index.js';
import type { Access, AuthConfig, IncomingRule } from './types.js';

/** Longest token accepted; longer values are refused without hashing. */
const MAX_TOKEN_LENGTH = 4096;

interface CompiledRule {
  rule: IncomingRule;
  matchFeed: (feed: string) => boolean;
}

export type Identity =
  | { kind: 'anonymous' }
  | { kind: 'token'; rules: CompiledRule[]; hint: string }
  | { kind: 'invalid'; hint: string };

const compiled = new WeakMap<AuthConfig, CompiledRule[]>();

function compile(config: AuthConfig): CompiledRule[] {
  let rules = compiled.get(config);
  if (!rules) {
    rules = config.incoming.map((rule) => {
      const matchers = rule.feeds.map((glob) => picomatch(glob, { dot: true }));
      return { rule, matchFeed: (feed: string) => matchers.some((m) => m(feed)) };
    });
    compiled.set(config, rules);
  }
  return rules;
}

/** The presented token, or undefined when none (or an empty one) was sent. */
export function presentedToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  let token: string | undefined;
  if (typeof header === 'string') {
    const space = header.indexOf(' ');
    const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
    const value = space < 0 ? '' : header.slice(space + 1).trim();
    if (scheme === 'bearer') token = value;
    else if (scheme === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      token = colon < 0 ? '' : decoded.slice(colon + 1);
    }
  }
  if (!token) {
    const apiKey = req.headers['x-nuget-apikey'];
    if (typeof apiKey === 'string') token = apiKey.trim();
  }
  return token ? token : undefined;
}

/** Identifies the caller of `req` against `config` (see the file comment). */
export function identify(req: Request, config: AuthConfig): Identity {
  const token = presentedToken(req);
  if (token === undefined) return { kind: 'anonymous' };
  if (token.length > MAX_TOKEN_LENGTH) return { kind: 'invalid', hint: 'oversized' };
  const hint = tokenHint(token);
  const matched: CompiledRule[] = [];
  for (const candidate of compile(config)) {
    // Evaluate every rule: the comparison count must not depend on which rule matches.
    const ok = tokenMatches(token, candidate.rule.tokenSha256.toLowerCase());
    if (ok) matched.push(candidate);
  }
  return matched.length > 0 ? { kind: 'token', rules: matched, hint } : { kind: 'invalid', hint };
}

/** The rule granting `access` to `feed`, if any (write implies read). */
export function grantingRule(identity: Identity, feed: string, access: Access): IncomingRule | undefined {
  if (identity.kind !== 'token') return undefined;
  const hit = identity.rules.find((c) => (access === 'read' || c.rule.access === 'write') && c.matchFeed(feed));
  return hit?.rule;
}
