/** The implementation of `ferry serve` (see serve.ts for the contract), loaded on use. */
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { FerryError, errorMessage, isFerryError } from '../../errors/index.js';
import { feedViews } from '../../feeds/index.js';
import { createLogger, type Logger } from '../../log/index.js';
import { createAuthHolder, createServer, readIncomingFile, type AuthConfig } from '../../server/index.js';
import { createFsStore } from '../../store/index.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import type { ServeOptions } from './serve.js';

const SHUTDOWN_GRACE_MS = 10_000;

/** Parses `HOST:PORT`, `[v6]:PORT`, `:PORT` or `PORT`; host defaults to 127.0.0.1. */
export function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value) ?? /^()()(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port > 65535) {
    throw new FerryError('USAGE', `invalid --listen ${JSON.stringify(value)} (expected HOST:PORT)`);
  }
  return { host: match[1] || match[2] || '127.0.0.1', port };
}

async function loadAuth(options: ServeOptions): Promise<AuthConfig> {
  const file = options.incoming ? await readIncomingFile(options.incoming) : { incoming: [] };
  return { incoming: file.incoming, anonymousRead: Boolean(options.anonymousRead) || file.anonymousRead === true };
}

export async function serve(options: ServeOptions, io: CliIO): Promise<number> {
  const listen = parseListen(options.listen);
  if (Boolean(options.tlsCert) !== Boolean(options.tlsKey)) throw new FerryError('USAGE', '--tls-cert and --tls-key go together');
  const log = createLogger({ name: 'ferry-serve', destination: io.stderr });
  const auth = createAuthHolder(await loadAuth(options));
  const dataDir = resolve(options.data);
  const store = await createFsStore({ dir: join(dataDir, 'store'), log });
  const app = createServer({ store, auth: auth.get, dataDir, log, feedViews, autoCreateOciFeeds: true });
  const server: Server = options.tlsCert && options.tlsKey
    ? createHttpsServer({ cert: await readFile(options.tlsCert), key: await readFile(options.tlsKey) }, app)
    : createHttpServer(app);
  // Large blobs take long: no whole-request deadline, but idle sockets and slow headers are cut.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.timeout = 300_000;
  try {
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(listen.port, listen.host, () => ok());
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  io.stdout.write(`listening on ${shown}:${address.port}\n`);
  log.info({ address: address.address, port: address.port, tls: Boolean(options.tlsCert), rules: auth.get().incoming.length }, 'ferry serve started');
  await untilSignal(log, () => reload(options, auth.set, log));
  await shutdown(server, log);
  await store.close();
  log.info('ferry serve stopped');
  return ExitCode.ok;
}

async function reload(options: ServeOptions, set: (config: AuthConfig) => void, log: Logger): Promise<void> {
  try {
    const config = await loadAuth(options);
    set(config);
    log.info({ rules: config.incoming.length }, 'incoming rules reloaded');
  } catch (err) {
    log.error({ code: isFerryError(err) ? err.code : undefined, err: errorMessage(err) }, 'incoming rules not reloaded; keeping the previous rules');
  }
}

/** Resolves on the first SIGTERM/SIGINT; SIGHUP calls `onHup` meanwhile. */
function untilSignal(log: Logger, onHup: () => Promise<void>): Promise<void> {
  return new Promise((done) => {
    const hup = (): void => void onHup();
    const stop = (signal: NodeJS.Signals): void => {
      log.info({ signal }, 'shutting down');
      process.off('SIGHUP', hup);
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      done();
    };
    process.on('SIGHUP', hup);
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

/** Stops accepting, waits for in-flight requests, cuts what is still open after the grace period. */
async function shutdown(server: Server, log: Logger): Promise<void> {
  const closed = new Promise<void>((done) => server.close(() => done()));
  // Keep-alive sockets become idle as their last request ends: close them as soon as they do.
  server.closeIdleConnections();
  const sweeper = setInterval(() => server.closeIdleConnections(), 100);
  const timer = setTimeout(() => {
    log.warn('in-flight requests cut after the shutdown grace period');
    server.closeAllConnections();
  }, SHUTDOWN_GRACE_MS);
  timer.unref();
  await closed;
  clearInterval(sweeper);
  clearTimeout(timer);
}
