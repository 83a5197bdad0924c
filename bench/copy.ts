/**
 * Copy benchmark (on demand, not in CI): `npm run build && npx tsx bench/copy.ts [--layers 8] [--layer-mib 128] [--rounds 5] [--pairs 6] [--tags 500]`
 *
 * 1. A 1 GiB image (8 × 128 MiB random layers) in a local docker-registry; per round, in an order
 *    that rotates: `ferry copy` (the built CLI as a child process) to an OCI layout, `skopeo copy
 *    docker:// → oci:`, and `curl` of the same blobs to disk. Ratios are taken within each round
 *    (this machine's disk speed drifts by several times over minutes) and their median printed. skopeo's blob-info cache and all destinations are
 *    deleted before every run, and `sync` runs (untimed) before each one, so the page cache's
 *    write-back of the setup or of an earlier run never lands in another tool's time (ferry
 *    fsyncs what it writes; curl and skopeo leave dirty pages behind). Prints MB/s, ratios, and
 *    ferry's peak RSS (VmHWM polled from /proc).
 *    Then `--pairs` (default 6) rounds of curl and ferry alone, back to back, for the same ratio
 *    without skopeo's writes in between.
 * 2. A 500-tag repository copied once to a second registry, then re-checked with nothing changed:
 *    ferry (tags list + manifest HEADs on both sides over one keep-alive client; and a no-op
 *    `copy()` per tag) vs `skopeo sync` (after an initial sync, so both do a no-change pass).
 * Disk timings on a VM swing between runs: compare ratios from the same run.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startRegistry } from '../test/helpers/registry.js';
import { copy, createRegistryClient, MediaType, type Descriptor, type RegistryClient } from '../src/oci/index.js';

const run = promisify(execFile);
const FERRY = resolve(import.meta.dirname, '../bin/ferry.js');
const SKOPEO_CACHE = '/var/lib/containers/cache/blob-info-cache-v1.boltdb';
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const LAYERS = arg('layers', 8);
const LAYER_MIB = arg('layer-mib', 128);
const ROUNDS = arg('rounds', 5);
const TAGS = arg('tags', 500);
const PAIRS = arg('pairs', 6);

async function randomFile(path: string, bytes: number): Promise<Descriptor> {
  const hash = createHash('sha256');
  const out = createWriteStream(path);
  for (let done = 0; done < bytes; done += 1 << 20) {
    const chunk = randomBytes(Math.min(1 << 20, bytes - done));
    hash.update(chunk);
    if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
  return { mediaType: MediaType.ociLayerGzip, digest: `sha256:${hash.digest('hex')}`, size: bytes };
}

async function pushImage(client: RegistryClient, work: string): Promise<Descriptor[]> {
  const layers: Descriptor[] = [];
  for (let i = 0; i < LAYERS; i++) {
    const file = join(work, `layer-${i}`);
    const d = await randomFile(file, LAYER_MIB * 1024 * 1024);
    await client.blobPut('bench/big', d, async () => ({ stream: createReadStream(file), size: d.size, offset: 0 }));
    await rm(file);
    layers.push(d);
  }
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  const configD: Descriptor = { mediaType: MediaType.ociConfig, digest: `sha256:${createHash('sha256').update(config).digest('hex')}`, size: config.length };
  await client.blobPut('bench/big', configD, async () => ({ stream: (await import('node:stream')).Readable.from([config]), size: config.length, offset: 0 }));
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: configD, layers }));
  await client.manifestPut('bench/big', 'v1', MediaType.ociManifest, manifest);
  return [configD, ...layers];
}

/** Runs a child, polling its VmHWM; returns seconds and peak RSS in MB. */
function timed(cmd: string, args: string[]): Promise<{ seconds: number; peakMb: number }> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let peak = 0;
    const poll = setInterval(() => {
      void readFile(`/proc/${child.pid}/status`, 'utf8')
        .then((s) => {
          const kb = Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? 0);
          peak = Math.max(peak, kb);
        })
        .catch(() => undefined);
    }, 20);
    child.on('close', (code) => {
      clearInterval(poll);
      if (code !== 0) return reject(new Error(`${cmd} exited ${code}: ${stderr}`));
      resolvePromise({ seconds: (performance.now() - started) / 1000, peakMb: peak / 1024 });
    });
  });
}

/** Flushes dirty pages so the next timed run starts from a quiet disk. */
const settleDisk = async (): Promise<void> => {
  await run('sync');
};

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

type Tool = 'ferry' | 'skopeo' | 'curl';

async function throughput(host: string, blobs: Descriptor[], work: string): Promise<void> {
  const total = blobs.reduce((n, b) => n + b.size, 0);
  const mbps = (seconds: number): number => total / seconds / 1e6;
  const dest = join(work, 'dest');
  const results: Record<Tool | 'ferryNet', number[]> = { ferry: [], ferryNet: [], skopeo: [], curl: [] };
  const ratios = { curl: [] as number[], skopeo: [] as number[] };
  const rss: number[] = [];
  const startup: number[] = [];
  const runs: Record<Tool, () => Promise<number>> = {
    ferry: async () => {
      await settleDisk();
      const f = await timed(process.execPath, [FERRY, 'copy', `${host}/bench/big:v1`, `oci:${dest}:v1`]);
      rss.push(f.peakMb);
      return f.seconds;
    },
    skopeo: async () => {
      await rm(SKOPEO_CACHE, { force: true });
      await settleDisk();
      return (await timed('skopeo', ['copy', '--src-tls-verify=false', `docker://${host}/bench/big:v1`, `oci:${dest}:v1`])).seconds;
    },
    curl: async () => {
      await mkdir(dest, { recursive: true });
      const curlArgs = ['-sf'];
      for (const b of blobs) curlArgs.push(`http://${host}/v2/bench/big/blobs/${b.digest}`, '-o', join(dest, b.digest.slice(7)));
      await settleDisk();
      return (await timed('curl', curlArgs)).seconds;
    },
  };
  const tools: Tool[] = ['ferry', 'skopeo', 'curl'];
  for (let round = 1; round <= ROUNDS; round++) {
    // The order rotates, so no tool always runs after the same one (the disk and the page cache
    // remember the previous run for a while, and this machine's speed drifts).
    const order = tools.map((_, i) => tools[(i + round - 1) % tools.length]!);
    const got = {} as Record<Tool, number>;
    for (const tool of order) {
      await rm(dest, { recursive: true, force: true });
      got[tool] = mbps(await runs[tool]());
      results[tool].push(got[tool]);
    }
    await rm(dest, { recursive: true, force: true });
    // The CLI's own start (module loading) is timed apart, to show what the copy itself costs.
    const boot = await timed(process.execPath, [FERRY, 'copy', '--help']);
    startup.push(boot.seconds);
    results.ferryNet.push(mbps(Math.max(0.001, total / got.ferry / 1e6 - boot.seconds)));
    ratios.curl.push(got.ferry / got.curl);
    ratios.skopeo.push(got.ferry / got.skopeo);
    console.log(
      `round ${round} (${order.join(', ')}): ferry ${got.ferry.toFixed(0)} MB/s (peak RSS ${rss.at(-1)!.toFixed(0)} MB; CLI start ${startup.at(-1)!.toFixed(2)} s), skopeo ${got.skopeo.toFixed(0)} MB/s, curl ${got.curl.toFixed(0)} MB/s; ferry/curl ${ratios.curl.at(-1)!.toFixed(2)}×`,
    );
  }
  const [fm, sm, cm] = [median(results.ferry), median(results.skopeo), median(results.curl)];
  console.log(`\n${(total / 2 ** 30).toFixed(2)} GiB image, medians of ${ROUNDS} rounds:`);
  console.log(`  ferry copy → layout   ${fm.toFixed(0)} MB/s   peak RSS ${Math.max(...rss).toFixed(0)} MB`);
  console.log(`  skopeo copy → oci:    ${sm.toFixed(0)} MB/s`);
  console.log(`  curl blobs → disk     ${cm.toFixed(0)} MB/s`);
  const fn = median(results.ferryNet);
  console.log(`  ferry without CLI start ${fn.toFixed(0)} MB/s   (CLI start median ${median(startup).toFixed(2)} s)`);
  console.log(`  ratios within a round (median): ferry/skopeo ${median(ratios.skopeo).toFixed(2)}×   ferry/curl ${median(ratios.curl).toFixed(2)}×   (targets ≥1.3×, ≥0.8×, RSS < 150 MB)`);
  console.log(`  ratios of the medians:          ferry/skopeo ${(fm / sm).toFixed(2)}×   ferry/curl ${(fm / cm).toFixed(2)}×;  without CLI start ${(fn / sm).toFixed(2)}×, ${(fn / cm).toFixed(2)}×`);
}

/**
 * ferry and curl alone, back to back (curl, ferry, curl, ferry …), without skopeo's 1 GiB write
 * in between: the same two transfers as above, on a machine that stays in one state.
 */
async function pairs(host: string, blobs: Descriptor[], work: string): Promise<void> {
  const total = blobs.reduce((n, b) => n + b.size, 0);
  const dest = join(work, 'dest');
  const ratios: number[] = [];
  for (let i = 0; i < PAIRS; i++) {
    await rm(dest, { recursive: true, force: true });
    await mkdir(dest, { recursive: true });
    const curlArgs = ['-sf'];
    for (const b of blobs) curlArgs.push(`http://${host}/v2/bench/big/blobs/${b.digest}`, '-o', join(dest, b.digest.slice(7)));
    await settleDisk();
    const c = await timed('curl', curlArgs);
    await rm(dest, { recursive: true, force: true });
    await settleDisk();
    const f = await timed(process.execPath, [FERRY, 'copy', `${host}/bench/big:v1`, `oci:${dest}:v1`]);
    ratios.push(c.seconds / f.seconds);
    console.log(`pair ${i + 1}: curl ${(total / c.seconds / 1e6).toFixed(0)} MB/s, ferry ${(total / f.seconds / 1e6).toFixed(0)} MB/s: ${ratios.at(-1)!.toFixed(2)}×`);
  }
  await rm(dest, { recursive: true, force: true });
  console.log(`  ferry/curl back to back (median of ${PAIRS} pairs): ${median(ratios).toFixed(2)}×`);
}

async function recheck(srcHost: string, dstHost: string, skopeoDst: string): Promise<void> {
  const src = createRegistryClient({ registry: srcHost });
  const dst = createRegistryClient({ registry: dstHost });
  const layer = randomBytes(1024);
  const layerD: Descriptor = { mediaType: MediaType.ociLayerGzip, digest: `sha256:${createHash('sha256').update(layer).digest('hex')}`, size: layer.length };
  const { Readable } = await import('node:stream');
  await src.blobPut('bench/tags', layerD, async () => ({ stream: Readable.from([layer]), size: layer.length, offset: 0 }));
  const tags: string[] = [];
  for (let i = 0; i < TAGS; i += 10) {
    await Promise.all(
      Array.from({ length: Math.min(10, TAGS - i) }, async (_, k) => {
        const tag = `t${String(i + k).padStart(4, '0')}`;
        const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', tag }));
        const configD: Descriptor = { mediaType: MediaType.ociConfig, digest: `sha256:${createHash('sha256').update(config).digest('hex')}`, size: config.length };
        await src.blobPut('bench/tags', configD, async () => ({ stream: Readable.from([config]), size: config.length, offset: 0 }));
        await src.manifestPut('bench/tags', tag, MediaType.ociManifest, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: configD, layers: [layerD] })));
        tags.push(tag);
      }),
    );
  }
  // Initial copies (not timed): ferry to dstHost/bench/tags, skopeo to skopeoDst/bench-sync/tags.
  for (let i = 0; i < tags.length; i += 8) {
    await Promise.all(tags.slice(i, i + 8).map((t) => copy(src, { repository: 'bench/tags', reference: t }, dst, { repository: 'bench/tags', reference: t })));
  }
  const skopeoArgs = ['sync', '--src', 'docker', '--dest', 'docker', '--src-tls-verify=false', '--dest-tls-verify=false', `${srcHost}/bench/tags`, `${skopeoDst}/bench-sync`];
  await run('skopeo', skopeoArgs, { maxBuffer: 64 * 1024 * 1024 });

  let started = performance.now();
  const [srcTags, dstTags] = await Promise.all([src.tagList('bench/tags'), dst.tagList('bench/tags')]);
  const missing = new Set(srcTags.tags.filter((t) => !dstTags.tags.includes(t)));
  let changed = missing.size;
  const queue = srcTags.tags.filter((t) => !missing.has(t));
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let t = queue.shift(); t !== undefined; t = queue.shift()) {
        const [a, b] = await Promise.all([src.manifestHead('bench/tags', t), dst.manifestHead('bench/tags', t)]);
        if (a?.digest !== b?.digest) changed++;
      }
    }),
  );
  const ferryHeads = (performance.now() - started) / 1000;
  started = performance.now();
  const copyQueue = [...tags];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let t = copyQueue.shift(); t !== undefined; t = copyQueue.shift()) await copy(src, { repository: 'bench/tags', reference: t }, dst, { repository: 'bench/tags', reference: t });
    }),
  );
  const ferryCopies = (performance.now() - started) / 1000;
  await rm(SKOPEO_CACHE, { force: true });
  started = performance.now();
  await run('skopeo', skopeoArgs, { maxBuffer: 64 * 1024 * 1024 });
  const skopeoSync = (performance.now() - started) / 1000;
  src.close();
  dst.close();
  console.log(`\nno-change re-check of ${TAGS} tags (changed found: ${changed}):`);
  console.log(`  ferry tags list + HEADs   ${ferryHeads.toFixed(2)} s (${((ferryHeads / TAGS) * 1000).toFixed(2)} ms/tag)   ${(skopeoSync / ferryHeads).toFixed(1)}× faster than skopeo sync`);
  console.log(`  ferry no-op copy per tag  ${ferryCopies.toFixed(2)} s (${((ferryCopies / TAGS) * 1000).toFixed(2)} ms/tag)   ${(skopeoSync / ferryCopies).toFixed(1)}× faster than skopeo sync`);
  console.log(`  skopeo sync               ${skopeoSync.toFixed(2)} s (${((skopeoSync / TAGS) * 1000).toFixed(2)} ms/tag)   (target: ferry ≥ 3× faster)`);
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'ferry-bench-copy-'));
  const [reg, reg2, reg3] = await Promise.all([startRegistry(), startRegistry(), startRegistry()]);
  try {
    const client = createRegistryClient({ registry: reg.host });
    console.log(`pushing ${LAYERS} × ${LAYER_MIB} MiB to ${reg.host} …`);
    const blobs = await pushImage(client, work);
    client.close();
    if (!process.argv.includes('--skip-throughput')) {
      await throughput(reg.host, blobs, work);
      if (PAIRS > 0) await pairs(reg.host, blobs, work);
    }
    if (!process.argv.includes('--skip-tags')) await recheck(reg.host, reg2.host, reg3.host);
  } finally {
    await Promise.all([reg.stop(), reg2.stop(), reg3.stop()]);
    await rm(work, { recursive: true, force: true });
  }
}

await main();
