/**
 * `POST /hooks/git`: a Git host tells the controller that the topology repository changed, so it
 * fetches now instead of at the next poll.
 *
 * Contract of the handler:
 *   - reads the raw body itself (mount it before any body parser), at most `maxBodyBytes`
 *     (413 beyond; a declared Content-Length over the cap is refused before reading);
 *   - authenticates it with `verifyWebhook` (GitHub / Gitea HMAC, GitLab token; constant time);
 *     a missing or wrong signature is 401 `{"error":"UNAUTHORIZED"}` with no further detail;
 *   - ping → 200; a push (to `ref`, when given) → 202 and `trigger()` once; any other event, or a
 *     push to another branch → 204 without a trigger;
 *   - never logs the secret, a signature or the body.
 */
import type { Request, RequestHandler, Response } from 'express';
import { Router } from 'express';
import type { Logger } from 'pino';
import { silentLogger } from '../log/index.js';
import { verifyWebhook } from './webhook-verify.js';

export interface GitWebhookOptions {
  /** The webhook secret (resolved from `webhook.secretRef`). */
  secret: string;
  /** Asks for a sync; the poller coalesces calls made while one runs. */
  trigger: () => void;
  /** Only pushes to this branch trigger (`main` or `refs/heads/main`); default: any push. */
  ref?: string;
  /** Default 1 MiB (GitHub caps payloads at 25 MiB, but a push notice needs far less). */
  maxBodyBytes?: number;
  log?: Logger;
}

export const WEBHOOK_PATH = '/hooks/git';

class BodyTooLarge extends Error {}

async function readRaw(req: Request, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw new BodyTooLarge();
  if (Buffer.isBuffer(req.body)) return req.body; // an upstream express.raw() already read it
  // A JSON/urlencoded parser ran first: the raw bytes the signature covers are gone.
  if (req.readableEnded) throw new Error('webhook body already consumed by a body parser');
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.byteLength;
    if (total > maxBytes) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The pushed ref from a GitHub/Gitea/GitLab push payload (JSON or GitHub's form encoding). */
function pushedRef(body: Buffer, contentType: string | undefined): string | undefined {
  try {
    let text = body.toString('utf8');
    if (contentType?.startsWith('application/x-www-form-urlencoded')) text = new URLSearchParams(text).get('payload') ?? '';
    const ref: unknown = (JSON.parse(text) as { ref?: unknown }).ref;
    return typeof ref === 'string' ? ref : undefined;
  } catch {
    return undefined;
  }
}

function refMatches(wanted: string | undefined, pushed: string | undefined): boolean {
  if (wanted === undefined || pushed === undefined) return true;
  const full = wanted.startsWith('refs/') ? wanted : `refs/heads/${wanted}`;
  return pushed === full || pushed === `refs/tags/${wanted}`;
}

function reject(res: Response, status: number, error: string): void {
  res.status(status).json({ error });
}

/** An express handler implementing the contract above. */
export function createGitWebhookHandler(options: GitWebhookOptions): RequestHandler {
  const { secret, trigger, ref, maxBodyBytes = 1024 * 1024, log = silentLogger } = options;
  if (secret.length === 0) throw new Error('webhook secret must not be empty');
  return async (req, res) => {
    let body: Buffer;
    try {
      body = await readRaw(req, maxBodyBytes);
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        log.warn({ maxBodyBytes }, 'git webhook body too large');
        res.setHeader('connection', 'close');
        return reject(res, 413, 'PAYLOAD_TOO_LARGE');
      }
      log.error({ err: (err as Error).message }, 'git webhook cannot read the raw body');
      return reject(res, 400, 'BAD_REQUEST');
    }
    const verdict = verifyWebhook(req.headers, body, secret);
    if (!verdict.ok) {
      log.warn({ reason: verdict.reason }, 'git webhook rejected');
      return reject(res, 401, 'UNAUTHORIZED');
    }
    if (verdict.kind === 'ping') return void res.status(200).json({ status: 'pong' });
    if (verdict.kind !== 'push' || !refMatches(ref, pushedRef(body, req.headers['content-type']))) {
      log.debug({ provider: verdict.provider, event: verdict.event }, 'git webhook ignored');
      return void res.status(204).end();
    }
    log.info({ provider: verdict.provider, event: verdict.event }, 'git webhook accepted; syncing topology');
    trigger();
    res.status(202).json({ status: 'accepted' });
  };
}

/** A router with `POST /hooks/git` mounted; mount it before any body parser. */
export function createGitWebhookRouter(options: GitWebhookOptions): Router {
  const router = Router();
  router.post(WEBHOOK_PATH, createGitWebhookHandler(options));
  return router;
}
