/**
 * Package upstream mirroring benchmark (run on demand:
 * `npx tsx bench/upstream.ts [--packages 40] [--kib 256] [--rounds 3]`).
 *
 * Builds N real .debs (dpkg-deb, incompressible payload of K KiB each), a dpkg-scanpackages index
 * and a gpg-signed InRelease, served by one `python3 -m http.server` child on 127.0.0.1 (the
 * same server for both sides). Then, alternating, per round:
 * - baseline: one `curl` process fetching every pool file to disk over keep-alive;
 * - ferry: `mirrorDebian` (verify InRelease, check Packages.gz, stream each pool file through
 *   sha256 checks, parse and store it as a package) into a fresh fs store;
 * and once: an idle re-run (nothing new: indexes only). Prints medians, the ratio
 * ferry / curl, and ferry's peak RSS.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { createFsStore } from '../src/store/index.js';
import { createHttpFetcher, mirrorDebian, readVerificationKeys } from '../src/feeds/upstream/index.js';

const run = promisify(execFile);
function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const N = arg('packages', 40);
const KIB = arg('kib', 256);
const ROUNDS = arg('rounds', 3);

const dir = await mkdtemp(join(tmpdir(), 'ferry-upstream-bench-'));
const www = join(dir, 'www');
const env = { ...process.env, GNUPGHOME: join(dir, 'gnupg') };
await mkdir(env.GNUPGHOME, { recursive: true, mode: 0o700 });
await mkdir(join(www, 'pool/main'), { recursive: true });
await run('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', 'Bench <b@example.invalid>', 'rsa3072', 'sign', 'never'], { env });
const { stdout: publicKey } = await run('gpg', ['--armor', '--export'], { env });

console.log(`building ${N} .debs of ${KIB} KiB …`);
for (let i = 0; i < N; i++) {
  const root = join(dir, 'src', `p${i}`);
  await mkdir(join(root, 'DEBIAN'), { recursive: true });
  await mkdir(join(root, 'usr/share/bench'), { recursive: true });
  await writeFile(join(root, 'usr/share/bench', `p${i}.bin`), randomBytes(KIB * 1024));
  await writeFile(join(root, 'DEBIAN/control'), `Package: bench-p${i}\nVersion: 1.0-1\nArchitecture: all\nMaintainer: B <b@example.invalid>\nDescription: bench ${i}\n`);
  await run('dpkg-deb', ['-Znone', '--root-owner-group', '--build', root, join(www, 'pool/main', `bench-p${i}_1.0-1_all.deb`)]);
}
const { stdout: packages } = await run('dpkg-scanpackages', ['--multiversion', 'pool'], { cwd: www, maxBuffer: 256 * 1024 * 1024 });
const plain = Buffer.from(packages);
const gz = gzipSync(plain);
await mkdir(join(www, 'dists/stable/main/binary-amd64'), { recursive: true });
await writeFile(join(www, 'dists/stable/main/binary-amd64/Packages.gz'), gz);
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
await writeFile(join(www, 'dists/stable/Release'), `Suite: stable\nCodename: stable\nDate: ${new Date().toUTCString()}\nArchitectures: amd64\nComponents: main\nSHA256:\n ${sha(gz)} ${gz.length} main/binary-amd64/Packages.gz\n`);
await run('gpg', ['--batch', '--yes', '--clearsign', '-o', join(www, 'dists/stable/InRelease'), join(www, 'dists/stable/Release')], { env });

const server = spawn('python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', www], { stdio: ['ignore', 'pipe', 'pipe'] });
const port = await new Promise<number>((resolve) => {
  server.stdout.on('data', (d: Buffer) => {
    const m = /port (\d+)/.exec(d.toString());
    if (m) resolve(Number(m[1]));
  });
});
const base = `http://127.0.0.1:${port}`;
const keys = await readVerificationKeys(publicKey);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function curlAll(): Promise<number> {
  const out = join(dir, 'curl');
  await rm(out, { recursive: true, force: true });
  await mkdir(out);
  const args = ['-sS', '--fail'];
  for (let i = 0; i < N; i++) args.push('-o', join(out, `${i}.deb`), `${base}/pool/main/bench-p${i}_1.0-1_all.deb`);
  const t = performance.now();
  await run('curl', args, { maxBuffer: 1024 * 1024 });
  return performance.now() - t;
}

let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 25);
async function ferry(round: number, idle = false): Promise<number> {
  const storeDir = join(dir, `store-${round}`);
  const store = await createFsStore({ dir: storeDir });
  await store.feedEnsure('bench', 'debian');
  await mkdir(join(dir, 'tmp'), { recursive: true });
  const pass = async (): Promise<number> => {
    const fetcher = createHttpFetcher({ baseUrl: base, explainStatus: (s) => new Error(`status ${s}`), explainNetwork: (e) => e as Error });
    const t = performance.now();
    const result = await mirrorDebian({ store, fetcher, tmpDir: join(dir, 'tmp'), origin: 'replication:bench', note: () => undefined, count: () => undefined }, { feed: 'bench', keys, distributions: ['stable'], select: () => true });
    const ms = performance.now() - t;
    if (!idle && result.imported !== N) throw new Error(`imported ${result.imported} of ${N}`);
    return ms;
  };
  let ms = await pass();
  if (idle) ms = await pass();
  await store.close();
  await rm(storeDir, { recursive: true, force: true });
  return ms;
}

const curlMs: number[] = [];
const ferryMs: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  curlMs.push(await curlAll());
  ferryMs.push(await ferry(r));
}
const idleMs = await ferry(ROUNDS, true);
clearInterval(sampler);
const mb = (N * KIB) / 1024;
console.log(`${N} packages × ${KIB} KiB (${mb.toFixed(0)} MiB), ${ROUNDS} rounds, medians:`);
console.log(`  curl (one process, keep-alive, to disk): ${median(curlMs).toFixed(0)} ms (${(mb / (median(curlMs) / 1000)).toFixed(0)} MiB/s)`);
console.log(`  ferry mirrorDebian (verify + store):     ${median(ferryMs).toFixed(0)} ms (${(mb / (median(ferryMs) / 1000)).toFixed(0)} MiB/s)`);
console.log(`  ratio ferry / curl: ${(median(ferryMs) / median(curlMs)).toFixed(2)}`);
console.log(`  idle re-run (nothing new): ${idleMs.toFixed(0)} ms; ferry peak RSS ${(peak / 1e6).toFixed(0)} MB`);
server.kill();
await rm(dir, { recursive: true, force: true });
