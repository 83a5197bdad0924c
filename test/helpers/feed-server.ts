/**
 * Starts a real ferry server (createServer) on 127.0.0.1:0 over a real fs store in a temp dir,
 * with one write token and one read token, and the given feeds created. For the feed view tests.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createServer as createHttpServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from '../../src/server/index.js';
import { createFsStore, type Store } from '../../src/store/index.js';
import type { FeedView } from '../../src/feeds/types.js';
import { feedViews as allFeedViews } from '../../src/feeds/index.js';
import { generateToken, hashToken } from '../../src/util/index.js';
import type { FeedType } from '../../src/topology/model.js';

export interface RunningFeedServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  store: Store;
  dataDir: string;
  /** Token with write access to every feed. */
  writeToken: string;
  /** Token with read access to every feed. */
  readToken: string;
  stop(): Promise<void>;
}

export interface StartFeedServerOptions {
  feeds: Array<{ name: string; type: FeedType }>;
  feedViews?: FeedView[];
  anonymousRead?: boolean;
}

export async function startFeedServer(options: StartFeedServerOptions): Promise<RunningFeedServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ferry-feeds-'));
  const store = await createFsStore({ dir: join(dataDir, 'store') });
  for (const feed of options.feeds) await store.feedEnsure(feed.name, feed.type);
  const writeToken = generateToken();
  const readToken = generateToken();
  const app = createServer({
    store,
    dataDir,
    feedViews: options.feedViews ?? allFeedViews,
    auth: {
      anonymousRead: options.anonymousRead ?? false,
      incoming: [
        { name: 'writer', tokenSha256: hashToken(writeToken), access: 'write', feeds: ['*'] },
        { name: 'reader', tokenSha256: hashToken(readToken), access: 'read', feeds: ['*'] },
      ],
    },
  });
  const server: Server = createHttpServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    store,
    dataDir,
    writeToken,
    readToken,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * PUTs to `url` announcing a 10 GiB body but sending only `sent` bytes; resolves with the
 * answer's status (a server that checks Content-Length first answers without reading on).
 */
export function putHugeAnnounced(url: string | URL, headers: Record<string, string>, sent = 64 * 1024): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const req = request(url, { method: 'PUT', headers: { ...headers, 'content-length': String(10 * 1024 ** 3) } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.write(Buffer.alloc(sent));
  });
}

/** `Authorization` header value for a token (Bearer). */
export function bearer(token: string): string {
  return `Bearer ${token}`;
}
