/**
 * Webhook authentication (unit) and `POST /hooks/git` over real HTTP (express on 127.0.0.1:0),
 * with payloads signed the way GitHub, Gitea and GitLab sign them.
 */
import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../src/git/webhook-verify.js';
import { createGitWebhookRouter } from '../../src/git/webhook.js';

const SECRET = 'webhook-secret-Zq9';
const PUSH = Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after: 'a'.repeat(40) }));
const hmac = (body: Buffer, secret = SECRET): string => createHmac('sha256', secret).update(body).digest('hex');

type Case = [string, Record<string, string>, Buffer, { ok: boolean; provider?: string; kind?: string }];

describe('verifyWebhook', () => {
  it.each<Case>([
    ['github push', { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(PUSH)}` }, PUSH, { ok: true, provider: 'github', kind: 'push' }],
    ['github ping', { 'x-github-event': 'ping', 'x-hub-signature-256': `sha256=${hmac(PUSH)}` }, PUSH, { ok: true, provider: 'github', kind: 'ping' }],
    ['github other event', { 'x-github-event': 'issues', 'x-hub-signature-256': `sha256=${hmac(PUSH)}` }, PUSH, { ok: true, provider: 'github', kind: 'other' }],
    ['github wrong secret', { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(PUSH, 'other')}` }, PUSH, { ok: false }],
    ['github signature of another body', { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(Buffer.from('{}'))}` }, PUSH, { ok: false }],
    ['github without sha256= prefix', { 'x-github-event': 'push', 'x-hub-signature-256': hmac(PUSH) }, PUSH, { ok: false }],
    ['github truncated signature', { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(PUSH).slice(0, 40)}` }, PUSH, { ok: false }],
    ['gitea push', { 'x-gitea-event': 'push', 'x-gitea-signature': hmac(PUSH) }, PUSH, { ok: true, provider: 'gitea', kind: 'push' }],
    ['gitea wrong signature', { 'x-gitea-event': 'push', 'x-gitea-signature': hmac(PUSH, 'x') }, PUSH, { ok: false }],
    ['gitea wins over a valid github header', { 'x-gitea-signature': hmac(PUSH, 'x'), 'x-hub-signature-256': `sha256=${hmac(PUSH)}` }, PUSH, { ok: false }],
    ['gitlab push', { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': SECRET }, PUSH, { ok: true, provider: 'gitlab', kind: 'push' }],
    ['gitlab tag push', { 'x-gitlab-event': 'Tag Push Hook', 'x-gitlab-token': SECRET }, PUSH, { ok: true, provider: 'gitlab', kind: 'push' }],
    ['gitlab wrong token', { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': `${SECRET}x` }, PUSH, { ok: false }],
    ['gitlab token prefix', { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': SECRET.slice(0, 5) }, PUSH, { ok: false }],
    ['no signature', { 'x-github-event': 'push' }, PUSH, { ok: false }],
  ])('%s', (_name, headers, body, expected) => {
    const verdict = verifyWebhook(headers, body, SECRET);
    expect(verdict.ok).toBe(expected.ok);
    if (verdict.ok) expect({ provider: verdict.provider, kind: verdict.kind }).toEqual({ provider: expected.provider, kind: expected.kind });
  });
});

describe('POST /hooks/git', () => {
  let server: Server;
  let base: string;
  let triggers = 0;

  beforeAll(async () => {
    const app = express();
    app.use(createGitWebhookRouter({ secret: SECRET, ref: 'main', maxBodyBytes: 4096, trigger: () => void triggers++ }));
    app.use(express.json()); // a body parser mounted after the hook must not break it
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    triggers = 0;
  });

  const post = (headers: Record<string, string>, body: Buffer | string = PUSH): Promise<globalThis.Response> =>
    fetch(`${base}/hooks/git`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  it.each([
    ['github', { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(PUSH)}` }],
    ['gitea', { 'x-gitea-event': 'push', 'x-gitea-signature': hmac(PUSH) }],
    ['gitlab', { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': SECRET }],
  ])('a signed %s push → 202 and one trigger', async (_name, headers) => {
    const res = await post(headers);
    expect(res.status).toBe(202);
    expect(triggers).toBe(1);
  });

  it('a GitHub form-encoded push is verified over the raw body', async () => {
    const body = `payload=${encodeURIComponent(PUSH.toString())}`;
    const res = await post({ 'content-type': 'application/x-www-form-urlencoded', 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(Buffer.from(body))}` }, body);
    expect(res.status).toBe(202);
    expect(triggers).toBe(1);
  });

  it('a ping → 200 without a trigger', async () => {
    const res = await post({ 'x-github-event': 'ping', 'x-hub-signature-256': `sha256=${hmac(PUSH)}` });
    expect(res.status).toBe(200);
    expect(triggers).toBe(0);
  });

  it('a push to another branch → 204 without a trigger', async () => {
    const other = Buffer.from(JSON.stringify({ ref: 'refs/heads/feature' }));
    const res = await post({ 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(other)}` }, other);
    expect(res.status).toBe(204);
    expect(triggers).toBe(0);
  });

  it.each([
    ['wrong signature', { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(PUSH, 'guess')}` }],
    ['missing signature', { 'x-github-event': 'push' }],
    ['wrong gitlab token', { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'guess' }],
  ])('%s → 401 with no detail and no trigger', async (_name, headers) => {
    const res = await post(headers);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'UNAUTHORIZED' });
    expect(triggers).toBe(0);
  });

  it('a body over the cap → 413 without a trigger', async () => {
    const big = Buffer.alloc(8192, 'a');
    const res = await post({ 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(big)}` }, big);
    expect(res.status).toBe(413);
    expect(triggers).toBe(0);
  });
});

describe('POST /hooks/git behind a JSON body parser (a mounting mistake)', () => {
  it('answers 400 and never triggers, instead of checking a signature over nothing', async () => {
    let triggers = 0;
    const app = express();
    app.use(express.json());
    app.use(createGitWebhookRouter({ secret: SECRET, trigger: () => void triggers++ }));
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/git`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(PUSH)}` },
        body: PUSH,
      });
      expect(res.status).toBe(400);
      expect(triggers).toBe(0);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
