/**
 * External package repositories for the upstream-mirroring tests, made by the real tools: .debs
 * by `dpkg-deb --build`, Packages by `dpkg-scanpackages`, InRelease / Release.gpg by
 * `gpg --clearsign` / `gpg --detach-sign` with a throwaway GNUPGHOME key; served by a small static
 * HTTP server on 127.0.0.1:0 that records every request path. A missing tool fails the test.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, normalize, sep } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';

export const run = promisify(execFile);

/** A throwaway OpenPGP signing key in its own GNUPGHOME. */
export interface GpgKey {
  home: string;
  publicKey: string;
  env: NodeJS.ProcessEnv;
}

export async function createGpgKey(dir: string, name: string): Promise<GpgKey> {
  const home = join(dir, `gnupg-${name}`);
  await mkdir(home, { recursive: true, mode: 0o700 });
  const env = { ...process.env, GNUPGHOME: home };
  await run('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', `${name} <${name}@example.invalid>`, 'rsa3072', 'sign', 'never'], { env });
  const { stdout } = await run('gpg', ['--armor', '--export'], { env });
  return { home, publicKey: stdout, env };
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/**
 * Writes `dists/<dist>/main/binary-<arch>/Packages{,.gz}` (dpkg-scanpackages over `pool/`), a
 * Release with their SHA256 lines, and signs it (InRelease and Release.gpg) with `key`.
 */
export async function publishDebianRepo(root: string, key: GpgKey, { dist = 'stable', arch = 'amd64', xzOnly = false, date = new Date() } = {}): Promise<void> {
  const dir = join(root, 'dists', dist, 'main', `binary-${arch}`);
  await mkdir(dir, { recursive: true });
  const { stdout } = await run('dpkg-scanpackages', ['--multiversion', '--arch', arch, 'pool'], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
  const plain = Buffer.from(stdout, 'utf8');
  const entry = (data: Buffer, path: string): string => ` ${sha256(data)} ${String(data.length).padStart(8)} ${path}`;
  const lines: string[] = [];
  if (xzOnly) {
    // Packages.xz made by the real xz tool (Debian's archive lists .xz only for most indexes).
    await writeFile(join(dir, 'Packages'), plain);
    await run('xz', ['-k', '-f', join(dir, 'Packages')]);
    await rm(join(dir, 'Packages'));
    lines.push(entry(await readFile(join(dir, 'Packages.xz')), `main/binary-${arch}/Packages.xz`));
  } else {
    const gz = gzipSync(plain);
    await writeFile(join(dir, 'Packages'), plain);
    await writeFile(join(dir, 'Packages.gz'), gz);
    lines.push(entry(plain, `main/binary-${arch}/Packages`), entry(gz, `main/binary-${arch}/Packages.gz`));
  }
  const release = [
    'Origin: Upstream Test', 'Label: Upstream Test', `Suite: ${dist}`, `Codename: ${dist}`,
    `Date: ${date.toUTCString()}`, `Architectures: ${arch}`, 'Components: main', 'Description: test upstream',
    'SHA256:', ...lines,
  ].join('\n') + '\n';
  const releaseFile = join(root, 'dists', dist, 'Release');
  await writeFile(releaseFile, release);
  await rm(join(root, 'dists', dist, 'InRelease'), { force: true });
  await rm(join(root, 'dists', dist, 'Release.gpg'), { force: true });
  await run('gpg', ['--batch', '--yes', '--clearsign', '-o', join(root, 'dists', dist, 'InRelease'), releaseFile], { env: key.env });
  await run('gpg', ['--batch', '--yes', '--detach-sign', '--armor', '-o', join(root, 'dists', dist, 'Release.gpg'), releaseFile], { env: key.env });
}

export interface StaticServer {
  url: string;
  /** Request paths in arrival order (tests count pool / package downloads). */
  requests: string[];
  close(): Promise<void>;
}

/**
 * Serves `root` read-only on 127.0.0.1:0 (GET only; no path escapes root). Paths under
 * `protect.prefix` answer 401 unless the request carries `protect.authorization`.
 */
export async function serveStatic(root: string, protect?: { prefix: string; authorization: string }): Promise<StaticServer> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    if (protect && path.startsWith(protect.prefix) && req.headers.authorization !== protect.authorization) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' }).end();
      return;
    }
    const file = normalize(join(root, path));
    if (req.method !== 'GET' || !file.startsWith(root + sep)) {
      res.writeHead(404).end();
      return;
    }
    stat(file).then(
      (s) => {
        if (!s.isFile()) {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { 'content-length': String(s.size), 'content-type': 'application/octet-stream' });
        createReadStream(file).pipe(res);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function fileSha256(path: string): Promise<string> {
  return sha256(await readFile(path));
}

/** A cron that never fires in a test run: the tests trigger the replications themselves. */
export const NEVER = '0 0 1 1 *';

/** A hub feed of `type` plus a pull replication into it from `upstream`; `extra` adds spec lines. */
export function upstreamReplicationDoc(type: 'debian' | 'rpm', name: string, upstream: string, feed: string, extra = ''): string {
  return `apiVersion: ferry/v1
kind: Feed
metadata: {name: ${feed}}
spec: {type: ${type}, sites: [hub]}
---
apiVersion: ferry/v1
kind: Replication
metadata: {name: ${name}}
spec:
  mode: pull
  source: {upstream: ${upstream}}
  target: {sites: [hub], feed: ${feed}}
  schedule: "${NEVER}"
${extra}`;
}
