/**
 * The auth layer on its own: token extraction (Bearer, Basic password, X-NuGet-ApiKey), rule
 * matching (globs, write implies read, several rules for one token), and the incoming rules file.
 */
import { describe, expect, it } from 'vitest';
import type { Request } from 'express';
import { createAuthorizer, parseIncomingFile, presentedToken } from '../../src/server/auth/index.js';
import { isFerryError } from '../../src/errors/index.js';
import { makeToken } from './helpers.js';

// A bare object with the headers is all the auth layer reads of a request.
const req = (headers: Record<string, string>): Request => ({ headers }) as unknown as Request;

function code(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return isFerryError(err) ? err.code : 'not a FerryError';
  }
}

describe('presentedToken', () => {
  it.each([
    ['Bearer', { authorization: 'Bearer abc' }, 'abc'],
    ['Basic password', { authorization: `Basic ${Buffer.from('user:abc').toString('base64')}` }, 'abc'],
    ['Basic password with a colon', { authorization: `Basic ${Buffer.from('user:a:b').toString('base64')}` }, 'a:b'],
    ['Basic empty password', { authorization: `Basic ${Buffer.from('user:').toString('base64')}` }, undefined],
    ['X-NuGet-ApiKey', { 'x-nuget-apikey': 'abc' }, 'abc'],
    ['nothing', {}, undefined],
    ['an unknown scheme', { authorization: 'Digest abc' }, undefined],
  ])('reads %s', (_label, headers, expected) => {
    expect(presentedToken(req(headers as Record<string, string>))).toBe(expected);
  });
});

describe('createAuthorizer', () => {
  const readApps = makeToken('read-apps', 'read', ['apps', 'team-*']);
  const writeTools = makeToken('write-tools', 'write', ['tools']);
  // The same token in two rules: its grants add up.
  const twoRules = makeToken('two-a', 'read', ['a']);
  const twoRulesB = { ...twoRules.rule, name: 'two-b', access: 'write' as const, feeds: ['b'] };
  const config = { incoming: [readApps.rule, writeTools.rule, twoRules.rule, twoRulesB], anonymousRead: false };
  const authz = createAuthorizer(() => config);
  const as = (t: string) => req({ authorization: `Bearer ${t}` });

  it.each([
    ['read-apps reads apps', readApps.token, 'apps', 'read', undefined],
    ['read-apps reads a glob match', readApps.token, 'team-x', 'read', undefined],
    ['read-apps cannot write apps', readApps.token, 'apps', 'write', 'AUTH_DENIED'],
    ['read-apps cannot read tools', readApps.token, 'tools', 'read', 'AUTH_DENIED'],
    ['write implies read', writeTools.token, 'tools', 'read', undefined],
    ['write-tools writes tools', writeTools.token, 'tools', 'write', undefined],
    ['a token in two rules reads a', twoRules.token, 'a', 'read', undefined],
    ['a token in two rules writes b', twoRules.token, 'b', 'write', undefined],
    ['a token in two rules cannot write a', twoRules.token, 'a', 'write', 'AUTH_DENIED'],
    ['an unknown token', 'ferry_unknown', 'apps', 'read', 'AUTH_UNAUTHORIZED'],
  ] as const)('%s', (_label, token, feed, access, expected) => {
    expect(code(() => authz.authorize(as(token), feed, access))).toBe(expected);
  });

  it('anonymousRead opens reads only, and not to a wrong token', () => {
    const open = createAuthorizer(() => ({ ...config, anonymousRead: true }));
    expect(code(() => open.authorize(req({}), 'anything', 'read'))).toBeUndefined();
    expect(code(() => open.authorize(req({}), 'anything', 'write'))).toBe('AUTH_UNAUTHORIZED');
    expect(code(() => open.authorize(as('ferry_unknown'), 'anything', 'read'))).toBe('AUTH_UNAUTHORIZED');
  });

  it('puts a hash hint, never the token, into the error', () => {
    let caught: unknown;
    try {
      authz.authorize(as('ferry_secret_value'), 'apps', 'read');
    } catch (err) {
      caught = err;
    }
    expect(isFerryError(caught, 'AUTH_UNAUTHORIZED')).toBe(true);
    expect(JSON.stringify(caught) + String((caught as Error).message)).not.toContain('ferry_secret_value');
    expect((caught as { data: { tokenHint?: string } }).data.tokenHint).toMatch(/^[0-9a-f]{8}$/);
  });
});

describe('parseIncomingFile', () => {
  const hash = 'a'.repeat(64);
  it('accepts a list and the {incoming, anonymousRead} mapping', () => {
    const list = parseIncomingFile(`- {name: r, tokenSha256: ${hash}, access: read, feeds: ["*"]}\n`);
    expect(list.incoming).toEqual([{ name: 'r', tokenSha256: hash, access: 'read', feeds: ['*'] }]);
    expect(list.anonymousRead).toBeUndefined();
    const mapping = parseIncomingFile(`anonymousRead: true\nincoming: []\n`);
    expect(mapping).toEqual({ incoming: [], anonymousRead: true });
  });

  it.each([
    ['a plaintext token', `- {name: r, tokenSha256: ferry_abc, access: read, feeds: ["*"]}`],
    ['a bad access', `- {name: r, tokenSha256: ${hash}, access: admin, feeds: ["*"]}`],
    ['no feeds', `- {name: r, tokenSha256: ${hash}, access: read, feeds: []}`],
    ['an unknown field', `- {name: r, tokenSha256: ${hash}, access: read, feeds: ["*"], token: x}`],
    ['a duplicate name', `- {name: r, tokenSha256: ${hash}, access: read, feeds: ["*"]}\n- {name: r, tokenSha256: ${hash}, access: read, feeds: ["*"]}`],
    ['not YAML', `- {name: r`],
    ['a scalar', `hello`],
  ])('refuses %s with AUTH_RULES_INVALID', (_label, text) => {
    expect(code(() => parseIncomingFile(text))).toBe('AUTH_RULES_INVALID');
  });

  it('reports every problem, not just the first', () => {
    try {
      parseIncomingFile(`- {name: BAD, tokenSha256: x, access: y, feeds: 1}`);
      expect.unreachable();
    } catch (err) {
      expect((err as { data: { issues: string[] } }).data.issues.length).toBeGreaterThanOrEqual(4);
    }
  });
});
