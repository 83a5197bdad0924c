/**
 * Authenticating Git webhook deliveries against the site's webhook secret.
 *
 * Supported senders and what they prove:
 *   - GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`
 *     (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries)
 *   - Gitea / Forgejo: `X-Gitea-Signature: <hex HMAC-SHA256 of the raw body>` (checked first: Gitea
 *     also sends GitHub-style headers)
 *   - GitLab: `X-Gitlab-Token: <the secret itself>` (GitLab does not sign bodies)
 * Every comparison is constant time over fixed-length values. The result names the sender and the
 * event, never why a check failed beyond a short reason for the log.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const WebhookProvider = { github: 'github', gitea: 'gitea', gitlab: 'gitlab' } as const;
export type WebhookProvider = (typeof WebhookProvider)[keyof typeof WebhookProvider];

/** What the delivery asks for: `push` triggers a sync, `ping` is answered, `other` is ignored. */
export type WebhookKind = 'push' | 'ping' | 'other';

export type WebhookVerdict =
  | { ok: true; provider: WebhookProvider; event: string; kind: WebhookKind }
  | { ok: false; reason: 'no-signature' | 'bad-signature' };

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Constant-time check of a hex HMAC-SHA256 against the body; wrong length or non-hex fails. */
export function hmacMatches(secret: string, body: Buffer, hexSignature: string): boolean {
  const expected = createHmac('sha256', secret).update(body).digest();
  if (!/^[0-9a-fA-F]{64}$/.test(hexSignature)) return false;
  return timingSafeEqual(expected, Buffer.from(hexSignature, 'hex'));
}

/** Constant-time equality of two secrets of any length (both are hashed first). */
export function secretMatches(presented: string, secret: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(secret, 'utf8').digest();
  return timingSafeEqual(a, b);
}

function kindOf(provider: WebhookProvider, event: string): WebhookKind {
  if (provider === 'gitlab') return event === 'Push Hook' || event === 'Tag Push Hook' ? 'push' : 'other';
  if (event === 'ping') return 'ping';
  return event === 'push' || event === 'create' ? 'push' : 'other';
}

/** Authenticates one delivery; `body` must be the raw bytes as received. */
export function verifyWebhook(headers: Headers, body: Buffer, secret: string): WebhookVerdict {
  const gitea = header(headers, 'x-gitea-signature');
  const github = header(headers, 'x-hub-signature-256');
  const gitlab = header(headers, 'x-gitlab-token');
  if (gitea !== undefined) {
    if (!hmacMatches(secret, body, gitea.trim())) return { ok: false, reason: 'bad-signature' };
    const event = header(headers, 'x-gitea-event') ?? header(headers, 'x-github-event') ?? '';
    return { ok: true, provider: 'gitea', event, kind: kindOf('gitea', event) };
  }
  if (github !== undefined) {
    const hex = github.trim().startsWith('sha256=') ? github.trim().slice('sha256='.length) : '';
    if (!hmacMatches(secret, body, hex)) return { ok: false, reason: 'bad-signature' };
    const event = header(headers, 'x-github-event') ?? '';
    return { ok: true, provider: 'github', event, kind: kindOf('github', event) };
  }
  if (gitlab !== undefined) {
    if (!secretMatches(gitlab, secret)) return { ok: false, reason: 'bad-signature' };
    const event = header(headers, 'x-gitlab-event') ?? '';
    return { ok: true, provider: 'gitlab', event, kind: kindOf('gitlab', event) };
  }
  return { ok: false, reason: 'no-signature' };
}
