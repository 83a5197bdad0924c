import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { register } from '../../src/cli/commands/token.js';
import { isWellFormedToken, tokenMatches } from '../../src/util/index.js';
import { runInProcess } from './run-cli.js';

describe('ferry token new', () => {
  it('prints a prefixed 256-bit token and its sha256 as JSON, nothing on stderr', async () => {
    const r = await runInProcess([register], ['token', 'new', '--name', 'us-stores', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { token: string; sha256: string; env: string; incoming: Record<string, unknown> };
    expect(out.token).toMatch(/^ferry_[A-Za-z0-9_-]{43}$/);
    expect(isWellFormedToken(out.token)).toBe(true);
    expect(Buffer.from(out.token.slice('ferry_'.length), 'base64url').length * 8).toBeGreaterThanOrEqual(256);
    expect(out.sha256).toBe(createHash('sha256').update(out.token).digest('hex'));
    expect(tokenMatches(out.token, out.sha256)).toBe(true);
    expect(out.env).toBe('FERRY_TOKEN_US_STORES');
    expect(out.incoming).toEqual({ name: 'us-stores', tokenSha256: out.sha256, access: 'read', feeds: ['*'] });
  });

  it('prints a ready incoming: snippet and the env line in text form', async () => {
    const r = await runInProcess([register], ['token', 'new', '--name', 'standby', '--access', 'write', '--feeds', 'releases, debs', '--env', 'DR_TOKEN']);
    expect(r.code).toBe(0);
    const token = /^ {2}(ferry_\S+)$/m.exec(r.stdout)?.[1] ?? '';
    const sha = createHash('sha256').update(token).digest('hex');
    expect(r.stdout).toContain(`  incoming:\n    - name: standby\n      tokenSha256: ${sha}\n      access: write\n      feeds: ["releases", "debs"]\n`);
    expect(r.stdout).toContain(`  DR_TOKEN=${token}\n`);
    expect(r.stdout).toContain('secretRef: {env: DR_TOKEN}');
  });

  it('gives a different token every time', async () => {
    const tokens = new Set<string>();
    for (let i = 0; i < 5; i++) tokens.add((JSON.parse((await runInProcess([register], ['token', 'new', '--format', 'json'])).stdout) as { token: string }).token);
    expect(tokens.size).toBe(5);
  });

  it.each([
    [['token', 'new', '--name', 'Not_A_Label']],
    [['token', 'new', '--env', '1BAD']],
    [['token', 'new', '--feeds', ' , ']],
    [['token', 'new', '--access', 'admin']],
  ])('rejects %j with exit 2 and prints no token', async (argv) => {
    const r = await runInProcess([register], argv);
    expect(r.code).toBe(2);
    expect(r.stdout).not.toMatch(/ferry_[A-Za-z0-9_-]{43}/);
  });
});
