/**
 * `ferry copy` as a real process (bin/ferry.js → dist/, built by `npm run build`, which
 * `npm test` runs first): JSON lines, exit codes, credentials from the environment, and
 * `kill -9` mid-blob followed by the same copy, which resumes from the partial.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { pushBuilt, randomImage, type BuiltManifest } from '../helpers/oci-content.js';
import { createRegistryClient, digestFile, type RegistryClient } from '../../src/oci/index.js';

const run = promisify(execFile);
const FERRY = resolve(import.meta.dirname, '../../bin/ferry.js');
const BIG = 8 * 1024 * 1024;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function ferry(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [FERRY, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
  });
}

const lines = (out: string): Array<Record<string, unknown>> =>
  out
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('ferry copy (CLI process)', () => {
  let registry: RunningRegistry;
  let basic: RunningRegistry;
  let proxy: FaultProxy;
  let client: RegistryClient;
  let dir: string;
  let image: BuiltManifest;
  let big: BuiltManifest;

  beforeAll(async () => {
    expect(existsSync(join(resolve(import.meta.dirname, '../../dist/cli/main.js'))), 'run `npm run build` first').toBe(true);
    dir = await mkdtemp(join(tmpdir(), 'ferry-oci-cli-'));
    const htpasswd = join(dir, 'htpasswd');
    await run('htpasswd', ['-Bbc', htpasswd, 'bob', 'bob-secret']);
    [registry, basic] = await Promise.all([startRegistry(), startRegistry({ htpasswd })]);
    proxy = await startFaultProxy(registry.host);
    client = createRegistryClient({ registry: registry.host });
    image = randomImage({ layers: [50_000, 70_000] });
    big = randomImage({ layers: [BIG] });
    await pushBuilt(client, 'cli/img', image, 'v1');
    await pushBuilt(client, 'cli/big', big, 'v1');
  });
  afterAll(async () => {
    client?.close();
    await proxy?.stop();
    await Promise.all([registry?.stop(), basic?.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('copies registry → layout → registry with JSON lines, and credentials from FERRY_DEST_CREDS', async () => {
    const layout = join(dir, 'cli-layout');
    const first = await ferry(['copy', `${registry.host}/cli/img:v1`, `oci:${layout}`]);
    expect(first.code, first.stderr).toBe(0);
    const events = lines(first.stdout);
    expect(events.some((e) => e.event === 'progress')).toBe(true);
    const done = events.find((e) => e.event === 'done');
    expect(done?.digest).toBe(image.descriptor.digest);
    expect(done?.blobs).toBe(3);

    const pushed = await ferry(['copy', `oci:${layout}:v1`, `docker://${basic.host}/cli/copied:v2`], { FERRY_DEST_CREDS: 'bob:bob-secret' });
    expect(pushed.code, pushed.stderr).toBe(0);
    const check = createRegistryClient({ registry: basic.host, auth: { username: 'bob', password: 'bob-secret' } });
    expect((await check.manifestHead('cli/copied', 'v2'))?.digest).toBe(image.descriptor.digest);
    check.close();

    const denied = await ferry(['copy', `oci:${layout}:v1`, `${basic.host}/cli/copied:v3`], { FERRY_DEST_CREDS: 'bob:wrong' });
    expect(denied.code).toBe(1);
    expect(lines(denied.stdout).find((e) => e.event === 'error')?.code).toBe('OCI_UNAUTHORIZED');
    expect(denied.stderr + denied.stdout).not.toContain('wrong');
  });

  it.each([
    ['an invalid reference', ['copy', 'no-host-here', 'oci:/tmp/x'], 2],
    ['a bad concurrency', ['copy', '127.0.0.1:1/a:b', 'oci:/tmp/x', '--concurrency', '0'], 2],
  ])('exits 2 on %s', async (_name, args, code) => {
    const r = await ferry(args);
    expect(r.code).toBe(code);
  });

  it('exits 1 with the error code for a missing tag', async () => {
    const r = await ferry(['copy', `${registry.host}/cli/img:nope`, `oci:${join(dir, 'missing')}`]);
    expect(r.code).toBe(1);
    expect(lines(r.stdout).find((e) => e.event === 'error')?.code).toBe('OCI_MANIFEST_UNKNOWN');
  });

  it('kill -9 at random points mid-blob, then the same copy resumes from the partial; nothing partial is visible in between', async () => {
    const layer = big.blobs[1]!.descriptor.digest;
    const hex = layer.slice(7);
    const layout = join(dir, 'killed');
    const partial = join(layout, '.ferry-partial', 'sha256', hex);
    const final = join(layout, 'blobs', 'sha256', hex);
    let held = 0;
    for (let kill = 0; kill < 2; kill++) {
      // Each kill lands at a random point further into the blob than the last one.
      const threshold = held + Math.floor((0.5 + Math.random() * 2) * 1024 * 1024);
      proxy.addRule({ method: 'GET', path: layer, fault: { kind: 'slow', bytesPerSecond: 2 * 1024 * 1024 } });
      const child = spawn(process.execPath, [FERRY, 'copy', `${proxy.host}/cli/big:v1`, `oci:${layout}:v1`], { stdio: 'ignore' });
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        if ((await stat(partial).then((s) => s.size).catch(() => 0)) >= threshold) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      proxy.clearRules();
      const now = (await stat(partial)).size;
      expect(now).toBeGreaterThanOrEqual(threshold);
      expect(now).toBeLessThan(BIG);
      expect(now).toBeGreaterThan(held);
      held = now;
      // Nothing partial visible: no blob at its final name, no tag in index.json.
      expect(existsSync(final)).toBe(false);
      const index = await readFile(join(layout, 'index.json'), 'utf8').then((t) => JSON.parse(t) as { manifests: unknown[] }).catch(() => ({ manifests: [] }));
      expect(index.manifests).toEqual([]);
    }

    const before = proxy.bytesSent;
    proxy.requests.length = 0;
    const again = await ferry(['copy', `${proxy.host}/cli/big:v1`, `oci:${layout}:v1`]);
    expect(again.code, again.stderr).toBe(0);
    const secondRun = proxy.bytesSent - before;
    expect(secondRun).toBeLessThanOrEqual(BIG - held + 100_000);
    expect(proxy.requests.find((q) => q.path.includes(layer))?.range).toBe(`bytes=${held}-`);
    expect(await digestFile(final)).toBe(layer);
    expect(await readdir(join(layout, '.ferry-partial', 'sha256'))).toEqual([]);
    expect(lines(again.stdout).find((e) => e.event === 'done')?.digest).toBe(big.descriptor.digest);
  });
});
