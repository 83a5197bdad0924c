/**
 * Process helpers of the server suite: spawn `ferry serve` (the built CLI, bin/ferry.js → dist/)
 * on 127.0.0.1:0 and run skopeo. Both FAIL loudly when missing (never skip): CI builds dist/
 * and installs skopeo (scripts/install-test-deps.sh).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Blob } from './helpers.js';

/** The CLI under test: the built one of this checkout, or FERRY_TEST_BIN (e.g. an installed ferry). */
const FERRY_BIN = process.env.FERRY_TEST_BIN ?? resolve(import.meta.dirname, '../../bin/ferry.js');

export interface ServeProcess {
  child: ChildProcess;
  host: string;
  stderr: () => string;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export async function spawnServe(args: string[]): Promise<ServeProcess> {
  const child = spawn(process.execPath, [FERRY_BIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FERRY_LOG_LEVEL: 'debug' } });
  let out = '';
  let err = '';
  let stopping: Promise<number | null> | undefined;
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const host = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`ferry serve did not start in 20s: ${err}`)), 20_000);
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const match = /listening on (127\.0\.0\.1:\d+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        ok(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`ferry serve exited with ${code} (is dist/ built? npm run build): ${err}`));
    });
  });
  return {
    child,
    host,
    stderr: () => err,
    stop() {
      // Idempotent: a second SIGTERM would kill the process at once (the handler is gone by then).
      stopping ??= child.exitCode !== null
        ? Promise.resolve(child.exitCode)
        : new Promise<number | null>((ok) => {
            child.once('exit', (code) => ok(code));
            child.kill('SIGTERM');
          });
      return stopping;
    },
  };
}

export interface RunResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs a command to completion, collecting output (binary-safe stdout). */
export function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  return new Promise((ok, fail) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.once('error', (e) => fail(new Error(`cannot run ${command} (is it installed? scripts/install-test-deps.sh): ${e.message}`)));
    child.once('exit', (code) => ok({ code, stdout: Buffer.concat(out), stderr: err }));
  });
}

export interface LayoutEntry {
  ref: string;
  mediaType: string;
  manifest: Buffer;
}

/** Writes an OCI image layout (image-spec image-layout.md) holding `blobs` and the tagged manifests. */
export async function writeLayout(dir: string, entries: LayoutEntry[], blobs: Array<Blob | Buffer>): Promise<void> {
  const blobDir = join(dir, 'blobs', 'sha256');
  await mkdir(blobDir, { recursive: true });
  const put = async (data: Buffer): Promise<string> => {
    const hex = createHash('sha256').update(data).digest('hex');
    await writeFile(join(blobDir, hex), data);
    return `sha256:${hex}`;
  };
  for (const b of blobs) await put(Buffer.isBuffer(b) ? b : b.data);
  const manifests = [];
  for (const entry of entries) {
    const digest = await put(entry.manifest);
    manifests.push({ mediaType: entry.mediaType, digest, size: entry.manifest.length, annotations: { 'org.opencontainers.image.ref.name': entry.ref } });
  }
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
}
