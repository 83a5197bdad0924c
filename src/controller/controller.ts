/**
 * The site controller: one process that runs the GitOps loop (fetch → validate → reconcile),
 * the replication jobs and the site's HTTP server (OCI `/v2`, native feed views, the API).
 *
 * Lifecycle contracts:
 * - On start it re-applies the last applied commit from its local Git cache before fetching, so
 *   a site that restarts during an outage serves and replicates on its last good topology.
 * - A commit is fetched, compared by id (no work when unchanged), validated, and applied only if
 *   valid (see Reconciler); fetch failures set `FetchFailed` and keep the site running.
 * - `stop()` (SIGTERM) stops the poller, aborts in-flight runs (recorded; they resume from their
 *   cursors and partial downloads next time), closes the server, the store and the state DB.
 */
import { mkdir } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createServer, createAuthHolder } from '../server/index.js';
import { createFsStore, createRegistryStore, type Store } from '../store/index.js';
import { createFeedViews } from '../feeds/index.js';
import { StateDb } from '../state/index.js';
import { Reconciler, ReplicationScheduler, ConditionType, applyRetention } from '../reconcile/index.js';
import { runReplication, createRateLimiter, createClientPool, type RateLimiter } from '../replicate/index.js';
import { silentLogger } from '../log/index.js';
import { credentialsFromSecret, resolveSecret } from '../util/secret.js';
import { parseBandwidth, parseDuration } from '../util/units.js';
import { errorMessage } from '../errors/index.js';
import type { SiteConfig } from '../topology/index.js';
import { createControllerApiRouter } from './api-router.js';
import { createControllerMetrics } from './metrics.js';
import { createTopologySource, type TopologySource } from './topology-source.js';
import { createGitPoller, createGitWebhookRouter } from '../git/index.js';

export interface ControllerOptions {
  config: SiteConfig;
  log?: Logger;
  env?: NodeJS.ProcessEnv;
  /** Upper bound of the random delay before scheduled runs (default 5 s; tests pass 0). */
  jitterMaxMs?: number;
  /** Deadline of one replication run (default 15 min). */
  runDeadlineMs?: number;
  /** Retry attempts within one run (default 4). */
  runMaxAttempts?: number;
  /** Base of the exponential backoff between attempts (default 500 ms). */
  runBaseDelayMs?: number;
  /** How often retention and blob GC run (default 1 hour). */
  maintenanceIntervalMs?: number;
  /** Test hook: every HTTP request a replication makes to a peer. */
  onPeerRequest?: (method: string, url: string) => void;
}

export interface RunningController {
  site: string;
  /** Base URL the server listens on, e.g. `http://127.0.0.1:41234`. */
  url: string;
  store: Store;
  state: StateDb;
  scheduler: ReplicationScheduler;
  reconciler: Reconciler;
  /** Runs retention and blob GC now (they also run on a timer). */
  maintain(): Promise<void>;
  /** Fetches the topology and applies it now; resolves when done. */
  reconcileNow(): Promise<void>;
  stop(): Promise<void>;
}

function splitListen(listen: string): { host: string; port: number } {
  const colon = listen.lastIndexOf(':');
  return { host: listen.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(listen.slice(colon + 1)) };
}

async function openStore(config: SiteConfig, env: NodeJS.ProcessEnv, log: Logger): Promise<Store> {
  if (config.store?.type === 'registry' && config.store.url) {
    const url = new URL(config.store.url);
    const auth = config.store.credentials ? credentialsFromSecret(resolveSecret(config.store.credentials.secretRef, env)) : undefined;
    return createRegistryStore({ client: { registry: url.host, plainHttp: url.protocol === 'http:', ...(auth ? { auth } : {}) }, dir: join(config.dataDir, 'store'), log });
  }
  return createFsStore({ dir: join(config.dataDir, 'store'), log });
}

export async function startController(options: ControllerOptions): Promise<RunningController> {
  const { config } = options;
  const env = options.env ?? process.env;
  const log = (options.log ?? silentLogger).child({ site: config.site });
  await mkdir(config.dataDir, { recursive: true });
  const state = new StateDb(join(config.dataDir, 'state.db'));
  const store = await openStore(config, env, log);
  const auth = createAuthHolder({ incoming: [], anonymousRead: false });
  const clients = createClientPool();
  let limiter: RateLimiter | undefined;
  let bandwidth: string | undefined;

  const scheduler: ReplicationScheduler = new ReplicationScheduler({
    log,
    jitterMaxMs: options.jitterMaxMs ?? 5_000,
    runTask: (task, trigger, signal) =>
      runReplication(
        { task, store, state, log, clients, ...(limiter ? { limiter } : {}), resolveSecret: (ref) => resolveSecret(ref, env), ...(options.onPeerRequest ? { onPeerRequest: options.onPeerRequest } : {}) },
        { trigger, signal, ...(options.runDeadlineMs ? { deadlineMs: options.runDeadlineMs } : {}), ...(options.runMaxAttempts ? { maxAttempts: options.runMaxAttempts } : {}), ...(options.runBaseDelayMs !== undefined ? { baseDelayMs: options.runBaseDelayMs } : {}) },
      ),
    onOutcome: (task, outcome) => {
      reconciler.recordOutcome(task, outcome);
      metrics.recordRun(task, outcome);
    },
  });
  const reconciler = new Reconciler({ site: config.site, store, state, auth, scheduler, log });
  const metrics = createControllerMetrics({ state, replicationNames: () => scheduler.names() });
  const lastGood = state.getMeta('applied_commit');
  const source: TopologySource = await createTopologySource({ config, env, log, ...(lastGood ? { knownCommit: lastGood } : {}) });

  // FetchFailed is set and cleared around every fetch; the poller owns timing and coalescing.
  const observedSource = {
    sync: async () => {
      try {
        const result = await source.sync();
        reconciler.recordFetchSuccess();
        return result;
      } catch (err) {
        reconciler.recordFetchFailure(errorMessage(err));
        throw err;
      }
    },
  };
  const applyCommit = async (commit: string): Promise<void> => {
    if (commit === reconciler.commit) return;
    const result = await reconciler.apply(commit, await source.readFiles(commit));
    if (result.applied && result.plan?.bandwidth !== bandwidth) {
      bandwidth = result.plan?.bandwidth;
      const rate = bandwidth ? parseBandwidth(bandwidth) : undefined;
      limiter = rate ? createRateLimiter({ bytesPerSecond: rate }) : undefined;
    }
    metrics.setTopology(reconciler.commit, !result.applied);
  };
  const poller = createGitPoller({
    source: observedSource,
    intervalMs: parseDuration(config.topology.pollInterval ?? '60s') ?? 60_000,
    onChange: ({ commit }) => applyCommit(commit),
    onError: (err) => log.warn({ code: (err as { code?: unknown }).code, err: errorMessage(err) }, 'topology fetch failed; keeping the last applied commit'),
    log,
  });
  const reconcileNow = (): Promise<void> => poller.trigger();

  const signingKeyArmored = config.signingKey ? resolveSecret(config.signingKey.secretRef, env) : undefined;
  const app = createServer({
    store, auth: auth.get, dataDir: config.dataDir, log, feedViews: createFeedViews(signingKeyArmored ? { signingKeyArmored } : {}),
    extraRouters: [
      { path: '/', router: createControllerApiRouter({ site: config.site, state, store, scheduler, auth, metrics, ready: () => reconciler.commit !== undefined, reconcileNow: () => void reconcileNow() }) },
      ...(config.webhook ? [{ path: '/', router: createGitWebhookRouter({ secret: resolveSecret(config.webhook.secretRef, env), ref: config.topology.ref ?? 'main', trigger: () => void reconcileNow(), log }) }] : []),
    ],
  });
  const server: Server = config.tls
    ? createHttpsServer({ cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) }, app)
    : createHttpServer(app);
  const { host, port } = splitListen(config.listen ?? '127.0.0.1:8443');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `${config.tls ? 'https' : 'http'}://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  log.info({ url }, 'listening');

  // Serve the last good topology at once, even if the Git server is unreachable.
  if (lastGood) {
    try {
      const files = await source.readFiles(lastGood);
      await reconciler.apply(lastGood, files);
    } catch (err) {
      log.warn({ commit: lastGood, err: errorMessage(err) }, 'cannot re-apply the last applied commit from the local cache');
    }
  }
  await poller.start();

  // Maintenance: retention of the feeds this site hosts, then a mark-and-sweep of unreferenced blobs.
  let maintaining: Promise<void> | undefined;
  const maintain = async (): Promise<void> => {
    const plan = reconciler.plan;
    for (const feed of plan?.feeds ?? []) await applyRetention(store, feed, log).catch((err: unknown) => log.warn({ feed: feed.name, err: errorMessage(err) }, 'retention failed'));
    const gc = await store.gc().catch((err: unknown) => { log.warn({ err: errorMessage(err) }, 'blob GC failed'); return undefined; });
    if (gc && gc.blobsDeleted > 0) log.info(gc, 'blob GC freed space');
  };
  const maintenance = setInterval(() => {
    maintaining ??= maintain().finally(() => { maintaining = undefined; });
  }, options.maintenanceIntervalMs ?? 60 * 60_000);
  maintenance.unref();

  let stopped = false;
  return {
    site: config.site, url, store, state, scheduler, reconciler, reconcileNow,
    maintain: () => (maintaining ??= maintain().finally(() => { maintaining = undefined; })),
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(maintenance);
      await poller.stop();
      await maintaining;
      await scheduler.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      clients.closeAll();
      await store.close();
      state.setCondition({ kind: 'Site', name: config.site, type: ConditionType.reconciling, status: 'False', reason: 'Stopped', message: 'controller stopped' });
      state.close();
    },
  };
}
