/**
 * The controller's HTTP API (docs/api.md): status, replications, run history, manual runs,
 * readiness and metrics. Mounted into the site's server through `extraRouters`.
 *
 * Access: reads need a known sync token (any rule), `anonymousRead`, or a loopback caller (the
 * operator on the box); a manual run needs a `write` token for the replication's local feed or
 * a loopback caller. Responses never contain secrets: tokens appear as secretRef names only.
 */
import { Router, type Request, type Response, type NextFunction } from 'express';
import { createAuthorizer, type AuthHolder } from '../server/index.js';
import { isFerryError } from '../errors/index.js';
import type { StateDb } from '../state/state-db.js';
import type { Store } from '../store/store.js';
import type { ReplicationScheduler } from '../reconcile/scheduler.js';
import type { ControllerMetrics } from './metrics.js';
import { renderStatusPage, type StatusPageData } from './status-page.js';

export interface ControllerApiDeps {
  site: string;
  state: StateDb;
  store: Store;
  scheduler: ReplicationScheduler;
  auth: AuthHolder;
  metrics: ControllerMetrics;
  /** True once a topology commit has been applied and the store is open. */
  ready: () => boolean;
  /** Triggers a topology fetch + reconcile now (webhook, `POST /api/v1/reconcile`). */
  reconcileNow: () => void;
}

function isLoopback(req: Request): boolean {
  const address = req.socket.remoteAddress ?? '';
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

function sendAuthError(res: Response, err: unknown): void {
  const status = isFerryError(err, 'AUTH_DENIED') ? 403 : 401;
  if (status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="ferry"');
  res.status(status).json({ error: { code: isFerryError(err) ? err.code : 'AUTH_UNAUTHORIZED', message: status === 401 ? 'a valid sync token is required' : 'this token may not do that' } });
}

function replicationView(deps: ControllerApiDeps, name: string): Record<string, unknown> | undefined {
  const task = deps.scheduler.task(name);
  if (!task) return undefined;
  const conditions = deps.state.conditions().filter((c) => c.kind === 'Replication' && c.name === name);
  return {
    name,
    mode: task.mode,
    localFeed: task.localFeed,
    remoteFeed: task.remoteFeed,
    peers: task.peers,
    ...(task.upstream ? { upstream: { name: task.upstream.name, url: task.upstream.url, repositories: task.upstream.repositories } } : {}),
    schedule: task.schedule,
    deletes: task.deletes,
    ...(task.token ? { token: task.token } : {}),
    running: deps.scheduler.isRunning(name),
    lastRun: deps.state.lastRun(name) ?? null,
    lastSuccess: deps.state.lastRun(name, 'succeeded')?.endedAt ?? null,
    conflicts: deps.state.conflicts(name, 20),
    conditions,
  };
}

export function createControllerApiRouter(deps: ControllerApiDeps): Router {
  const router = Router();
  const authorizer = createAuthorizer(deps.auth.get);
  const canRead = (req: Request, res: Response, next: NextFunction): void => {
    if (isLoopback(req)) return next();
    try {
      authorizer.authenticate(req);
      next();
    } catch (err) {
      sendAuthError(res, err);
    }
  };

  router.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  router.get('/readyz', (_req, res) => {
    const ready = deps.ready();
    res.status(ready ? 200 : 503).json({ ready, appliedCommit: deps.state.getMeta('applied_commit') ?? null });
  });
  router.get('/metrics', canRead, async (_req, res) => {
    res.setHeader('Content-Type', deps.metrics.registry.contentType);
    res.send(await deps.metrics.registry.metrics());
  });

  const status = async (): Promise<StatusPageData> => ({
    site: deps.site,
    appliedCommit: deps.state.getMeta('applied_commit') ?? null,
    rejectedCommit: deps.state.getMeta('rejected_commit') ?? null,
    conditions: deps.state.conditions(),
    feeds: await deps.store.feedList(),
    replications: deps.scheduler.names().map((n) => replicationView(deps, n)) as unknown as StatusPageData['replications'],
  });
  router.get('/api/v1/status', canRead, async (_req, res) => void res.json(await status()));
  router.get('/', canRead, async (_req, res) => {
    res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    res.type('html').send(renderStatusPage(await status()));
  });
  router.get('/api/v1/replications', canRead, (_req, res) => {
    res.json({ replications: deps.scheduler.names().map((n) => replicationView(deps, n)) });
  });
  router.get('/api/v1/replications/:name', canRead, (req, res) => {
    const view = replicationView(deps, String(req.params.name));
    if (!view) return void res.status(404).json({ error: { code: 'REPLICATION_UNKNOWN', message: 'no such replication at this site' } });
    res.json(view);
  });
  router.get('/api/v1/replications/:name/runs', canRead, (req, res) => {
    const name = String(req.params.name);
    const limit = Math.min(Math.max(Number(req.query.limit ?? 50) || 50, 1), 500);
    res.json({ replication: name, runs: deps.state.runs(name, limit) });
  });
  router.post('/api/v1/replications/:name/run', async (req, res) => {
    const name = String(req.params.name);
    const task = deps.scheduler.task(name);
    if (!task) return void res.status(404).json({ error: { code: 'REPLICATION_UNKNOWN', message: 'no such replication at this site' } });
    if (!isLoopback(req)) {
      try {
        authorizer.authorize(req, task.localFeed, 'write');
      } catch (err) {
        return void sendAuthError(res, err);
      }
    }
    const run = deps.scheduler.trigger(name, 'manual');
    if (req.query.wait === 'false' || !run) return void res.status(202).json({ replication: name, accepted: true });
    const outcome = await run;
    res.status(outcome.result === 'failed' ? 502 : 200).json({
      replication: name, runId: outcome.runId, result: outcome.result, items: outcome.items, bytes: outcome.bytes, peer: outcome.peer ?? null,
      ...(outcome.error ? { error: { code: outcome.error.code, message: outcome.error.message } } : {}),
    });
  });
  // Deletes a RETIRED feed's metadata; its blobs go at the next GC (which runs right after).
  router.post('/api/v1/feeds/:feed/prune', async (req, res) => {
    const feed = String(req.params.feed);
    if (!isLoopback(req)) {
      try {
        authorizer.authorize(req, feed, 'write');
      } catch (err) {
        return void sendAuthError(res, err);
      }
    }
    const record = await deps.store.feedGet(feed);
    if (!record) return void res.status(404).json({ error: { code: 'STORE_FEED_UNKNOWN', message: 'no such feed at this site' } });
    if (!record.retired) return void res.status(409).json({ error: { code: 'STORE_FEED_NOT_RETIRED', message: 'the feed is still in the topology; remove it there first, then prune' } });
    await deps.store.feedPrune(feed);
    const gc = await deps.store.gc();
    res.json({ feed, pruned: true, blobsDeleted: gc.blobsDeleted, bytesFreed: gc.bytesFreed });
  });
  router.post('/api/v1/reconcile', (req, res) => {
    if (!isLoopback(req)) return void sendAuthError(res, undefined);
    deps.reconcileNow();
    res.status(202).json({ accepted: true });
  });
  return router;
}
