/**
 * Debian feed index benchmark (run on demand: `npx tsx bench/debian.ts [--large 5000] [--small 500]`).
 *
 * Publishes synthetic packages straight through `putPackage` (tiny unique files standing in for
 * .debs: the view never re-reads the file, only the config metadata, so index cost is the same),
 * then measures the time to serve `Packages.gz` right after one more package was published —
 * i.e. refresh from the change log + re-render + transfer — at 500 and at 5,000 packages, and
 * prints the ratio. The design goal (issue 5) is that it does not grow with the feed size.
 * For context it also prints the cold start (first request, loads the whole feed) and the time a
 * from-scratch render (all stanzas, one gzip) takes at each size in the same run.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { putPackage } from '../src/feeds/artifact/index.js';
import { createDebianFeedView, DebianMediaType, renderStanza, type DebianMetadata } from '../src/feeds/debian/index.js';
import { createServer } from '../src/server/index.js';
import { createFsStore } from '../src/store/index.js';
import { generateToken, hashToken } from '../src/util/index.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const SMALL = arg('small', 500);
const LARGE = arg('large', 5000);
const SAMPLES = arg('samples', 15);
const FEED = 'bench';

const dir = await mkdtemp(join(tmpdir(), 'ferry-debian-bench-'));
const store = await createFsStore({ dir: join(dir, 'store') });
await store.feedEnsure(FEED, 'debian');
const token = generateToken();
/** A fresh server (fresh view state, like a restarted site) over the same store and dataDir. */
async function startServer(): Promise<{ base: string; close: () => void }> {
  const app = createServer({ store, dataDir: dir, feedViews: [createDebianFeedView()], auth: { anonymousRead: false, incoming: [{ name: 'b', tokenSha256: hashToken(token), access: 'write', feeds: ['*'] }] } });
  const server = createHttpServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/feeds/${FEED}/debian`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}
let server = await startServer();

let published = 0;
const allMetadata: DebianMetadata[] = [];
async function publishOne(index: number): Promise<void> {
  const name = `pkg-${index}`;
  const body = Buffer.from(`synthetic deb ${name}\n`);
  const path = join(dir, `file-${index}`);
  await writeFile(path, body);
  const hash = (a: string): string => createHash(a).update(body).digest('hex');
  const metadata: DebianMetadata = {
    control: [['Package', name], ['Version', '1.0-1'], ['Architecture', 'amd64'], ['Maintainer', 'Bench <b@example.invalid>'], ['Installed-Size', '12'], ['Depends', 'libc6 (>= 2.34)'], ['Section', 'misc'], ['Priority', 'optional'], ['Description', `synthetic package ${name}\n A benchmark package.`]],
    architecture: 'amd64', dist: 'stable', component: 'main', md5: hash('md5'), sha1: hash('sha1'), sha256: hash('sha256'), size: body.length,
  };
  allMetadata.push(metadata);
  await putPackage(store, { feed: FEED, name, version: '1.0-1', tag: '1.0-1_amd64', fileName: `${name}_1.0-1_amd64.deb`, fileMediaType: DebianMediaType.file, artifactType: DebianMediaType.artifact, configMediaType: DebianMediaType.config, metadata, file: { path, digest: `sha256:${hash('sha256')}`, size: body.length } });
  await rm(path);
}

/** Publishes `count` more packages, 8 at a time (the fs store fsyncs every write). */
async function publish(count: number): Promise<void> {
  const first = published;
  published += count;
  for (let i = 0; i < count; i += 8) {
    await Promise.all(Array.from({ length: Math.min(8, count - i) }, (_, j) => publishOne(first + i + j)));
  }
}

/** Fetches Packages.gz; `headers` = until the response head arrived (the server's work), `total` = body read too. */
async function fetchTimed(): Promise<{ headers: number; total: number; bytes: number }> {
  const t = performance.now();
  const response = await fetch(`${server.base}/dists/stable/main/binary-amd64/Packages.gz`, { headers: { authorization: `Bearer ${token}` } });
  const headers = performance.now() - t;
  const body = await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`status ${response.status}`);
  return { headers, total: performance.now() - t, bytes: body.byteLength };
}

async function fetchPackagesGz(): Promise<number> {
  return (await fetchTimed()).total;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

interface Measurement {
  headers: number;
  total: number;
  bytes: number;
  fromScratch: number;
}

async function measure(): Promise<Measurement> {
  const samples: Array<{ headers: number; total: number; bytes: number }> = [];
  for (let i = 0; i < SAMPLES; i++) {
    await publish(1);
    samples.push(await fetchTimed());
  }
  const t = performance.now();
  gzipSync(Buffer.from(allMetadata.map((m) => renderStanza(m.control, { filename: 'pool/x.deb', size: m.size, md5: m.md5, sha1: m.sha1, sha256: m.sha256 })).join('')), { level: 9 });
  const fromScratch = performance.now() - t;
  return { headers: median(samples.map((x) => x.headers)), total: median(samples.map((x) => x.total)), bytes: samples[samples.length - 1]?.bytes ?? 0, fromScratch };
}

try {
  let t = performance.now();
  await publish(SMALL);
  const publishSmall = performance.now() - t;
  const coldSmall = await fetchPackagesGz();
  const small = await measure();
  t = performance.now();
  await publish(LARGE - published);
  const publishLarge = performance.now() - t;
  const large = await measure();
  console.log(`published ${SMALL} packages in ${(publishSmall / 1000).toFixed(1)} s, up to ${LARGE} in another ${(publishLarge / 1000).toFixed(1)} s (putPackage into the fs store)`);
  console.log(`cold first Packages.gz at ${SMALL}: ${coldSmall.toFixed(1)} ms`);
  console.log(`Packages.gz right after one more package, median of ${SAMPLES}:`);
  console.log(`  server work (until response headers): ${SMALL}: ${small.headers.toFixed(2)} ms, ${LARGE}: ${large.headers.toFixed(2)} ms, ratio ${(large.headers / small.headers).toFixed(2)}`);
  console.log(`  with the body read (${(small.bytes / 1024).toFixed(0)} KiB vs ${(large.bytes / 1024).toFixed(0)} KiB): ${small.total.toFixed(2)} ms, ${large.total.toFixed(2)} ms, ratio ${(large.total / small.total).toFixed(2)}`);
  console.log(`  from-scratch render + gzip of the same stanzas: ${small.fromScratch.toFixed(1)} ms, ${large.fromScratch.toFixed(1)} ms, ratio ${(large.fromScratch / small.fromScratch).toFixed(2)}`);
  // Restart costs: the view snapshots its index (dataDir/cache/debian) at most every 5 s.
  await new Promise((r) => setTimeout(r, 6_000));
  server.close();
  server = await startServer();
  const warmRestart = await fetchPackagesGz();
  server.close();
  await rm(join(dir, 'cache'), { recursive: true, force: true });
  server = await startServer();
  const coldRestart = await fetchPackagesGz();
  console.log(`first Packages.gz after a restart at ${published} packages: with the index snapshot ${warmRestart.toFixed(0)} ms, without (reads every version from the store) ${coldRestart.toFixed(0)} ms`);
} finally {
  server.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
}
