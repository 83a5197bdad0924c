/**
 * Faults between ferry and a real docker-registry (test/helpers/fault-proxy.ts): every copy
 * completes byte-identical or fails with a clear error naming the blob; nothing corrupt is stored.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { pushBuilt, randomImage, type BuiltManifest } from '../helpers/oci-content.js';
import { copy, createLayoutTarget, createRegistryClient, digestFile, OciErrorCode, type RegistryClient } from '../../src/oci/index.js';
import { isFerryError, type FerryError } from '../../src/errors/index.js';

const LAYER = 600_000;

describe('copy through a fault-injecting proxy', () => {
  let registry: RunningRegistry;
  let dstRegistry: RunningRegistry;
  let proxy: FaultProxy;
  let direct: RegistryClient;
  let viaProxy: RegistryClient;
  let dst: RegistryClient;
  let dir: string;
  let image: BuiltManifest;
  let n = 0;

  beforeAll(async () => {
    [registry, dstRegistry] = await Promise.all([startRegistry(), startRegistry()]);
    proxy = await startFaultProxy(registry.host);
    direct = createRegistryClient({ registry: registry.host });
    dst = createRegistryClient({ registry: dstRegistry.host });
    viaProxy = createRegistryClient({ registry: proxy.host, timeoutMs: 1_000, retry: { maxAttempts: 4, deadlineMs: 20_000, baseDelayMs: 50 } });
    dir = await mkdtemp(join(tmpdir(), 'ferry-oci-faults-'));
    image = randomImage({ layers: [LAYER, LAYER / 2] });
    await pushBuilt(direct, 'faulty/img', image, 'v1');
  });
  afterAll(async () => {
    direct?.close();
    viaProxy?.close();
    dst?.close();
    await proxy?.stop();
    await Promise.all([registry?.stop(), dstRegistry?.stop()]);
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    proxy.clearRules();
    proxy.requests.length = 0;
  });

  const layer = (): string => image.blobs[1]!.descriptor.digest;
  const freshLayout = () => createLayoutTarget(join(dir, `layout-${++n}`));
  const copyToLayout = (layout = freshLayout()) => copy(viaProxy, { repository: 'faulty/img', reference: 'v1' }, layout, { repository: '', reference: 'v1' }).then((r) => ({ r, layout }));

  async function expectIdentical(layoutPath: string): Promise<void> {
    for (const b of image.blobs) expect(await digestFile(join(layoutPath, 'blobs', 'sha256', b.descriptor.digest.slice(7)))).toBe(b.descriptor.digest);
  }

  async function storedBlobs(layoutPath: string): Promise<string[]> {
    return readdir(join(layoutPath, 'blobs', 'sha256')).catch(() => []);
  }

  it.each([
    ['cut mid-blob', { kind: 'cut', afterBytes: 200_000 }],
    ['truncated body', { kind: 'truncate', afterBytes: 300_000 }],
    ['stall longer than the timeout', { kind: 'stall', afterBytes: 100_000, ms: 2_500 }],
  ] as const)('resumes after a %s and completes byte-identical', async (_name, fault) => {
    proxy.addRule({ method: 'GET', path: layer(), fault });
    const { r, layout } = await copyToLayout();
    await expectIdentical(layout.path);
    const gets = proxy.requests.filter((q) => q.method === 'GET' && q.path.includes(layer()));
    expect(gets.length).toBe(2);
    // A cut is a TCP reset, which may discard bytes the client had not read yet: then there is
    // nothing to resume from. A truncation (FIN) or a stall always leaves a prefix to resume.
    if (fault.kind !== 'cut') expect(gets[1]?.range).toMatch(/^bytes=\d+-$/);
    // resumed, not restarted: less than one extra layer on the wire
    expect(r.bytesTransferred).toBeLessThan(LAYER * 1.5 + 20_000);
  });

  it.each([
    ['500 on the manifest', { method: 'GET', path: '/manifests/v1', fault: { kind: 'status', status: 500 } }],
    ['503 on a blob', { method: 'GET', path: '/blobs/', fault: { kind: 'status', status: 503 } }],
  ] as const)('retries a %s and completes', async (_name, rule) => {
    proxy.addRule({ ...rule, times: 2 });
    const { layout } = await copyToLayout();
    await expectIdentical(layout.path);
  });

  it('honours Retry-After on 429', async () => {
    proxy.addRule({ method: 'GET', path: layer(), fault: { kind: 'status', status: 429, retryAfter: '1' } });
    const started = Date.now();
    const { layout } = await copyToLayout();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    await expectIdentical(layout.path);
  });

  it('fails with OCI_TOO_MANY_REQUESTS when the registry keeps rate-limiting', async () => {
    proxy.addRule({ method: 'GET', path: layer(), fault: { kind: 'status', status: 429, retryAfter: '0' }, times: Infinity });
    const layout = freshLayout();
    const err = (await copyToLayout(layout).catch((e: unknown) => e)) as FerryError;
    expect(isFerryError(err, OciErrorCode.tooManyRequests)).toBe(true);
    expect(err.data.digest).toBe(layer());
    expect(err.next).toBe('retry');
  });

  it('refuses a flipped byte: OCI_BLOB_DIGEST_MISMATCH naming the blob, nothing stored, a retry succeeds', async () => {
    proxy.addRule({ method: 'GET', path: layer(), fault: { kind: 'flip', atByte: 12_345 } });
    const layout = freshLayout();
    const err = (await copyToLayout(layout).catch((e: unknown) => e)) as FerryError;
    expect(isFerryError(err, OciErrorCode.blobDigestMismatch)).toBe(true);
    expect(err.data.digest).toBe(layer());
    expect(err.message).toContain(layer());
    expect(await storedBlobs(layout.path)).not.toContain(layer().slice(7));
    // The corrupt blob leaves nothing; a sibling blob stopped by the failure may keep its partial,
    // which must be an exact prefix of its blob (what the next attempt resumes from).
    const partialDir = join(layout.path, '.ferry-partial', 'sha256');
    const partials = await readdir(partialDir);
    expect(partials.filter((name) => name.startsWith(layer().slice(7)))).toEqual([]);
    for (const name of partials.filter((p) => !p.endsWith('.lock'))) {
      const original = image.blobs.find((b) => b.descriptor.digest === `sha256:${name}`)!.data;
      const held = await readFile(join(partialDir, name));
      expect(original.subarray(0, held.length).equals(held)).toBe(true);
    }
    expect(partials.filter((name) => name.endsWith('.lock'))).toEqual([]);
    expect((await layout.tagList('')).tags).toEqual([]);
    await copyToLayout(layout);
    await expectIdentical(layout.path);
  });

  it('never lets a corrupt source complete an upload to a registry', async () => {
    proxy.addRule({ method: 'GET', path: layer(), fault: { kind: 'flip', atByte: 500_000 }, times: Infinity });
    const err = (await copy(viaProxy, { repository: 'faulty/img', reference: 'v1' }, dst, { repository: 'copy/img', reference: 'v1' }).catch((e: unknown) => e)) as FerryError;
    expect(isFerryError(err, OciErrorCode.blobDigestMismatch)).toBe(true);
    expect(err.data.digest).toBe(layer());
    expect(await dst.blobHead('copy/img', layer())).toBeUndefined();
    expect(await dst.manifestHead('copy/img', 'v1')).toBeUndefined();
  });

  it('registry → registry through cuts: completes with identical digests', async () => {
    proxy.addRule({ method: 'GET', path: layer(), fault: { kind: 'cut', afterBytes: 250_000 } });
    const r = await copy(viaProxy, { repository: 'faulty/img', reference: 'v1' }, dst, { repository: 'cut/img', reference: 'v1' });
    expect(r.descriptor.digest).toBe(image.descriptor.digest);
    expect(await dst.blobHead('cut/img', layer())).toBe(LAYER);
  });

  it('passes every blob byte through the rate limiter hook and reports progress', async () => {
    let taken = 0;
    const rateLimiter = {
      take: async (bytes: number) => {
        taken += bytes;
        await new Promise((r) => setTimeout(r, 1));
      },
    };
    const seen = new Map<string, number>();
    const { r } = await copy(viaProxy, { repository: 'faulty/img', reference: 'v1' }, freshLayout(), { repository: '', reference: 'v1' }, {
      rateLimiter,
      onProgress: (p) => seen.set(p.digest, p.done),
    }).then((r) => ({ r }));
    const total = image.blobs.reduce((n, b) => n + b.descriptor.size, 0);
    expect(taken).toBe(total);
    expect(r.bytesTransferred).toBe(total);
    for (const b of image.blobs) expect(seen.get(b.descriptor.digest)).toBe(b.descriptor.size);
  });

  it('stops on abort, keeping the partial blob for the next attempt and nothing at its final name', async () => {
    proxy.addRule({ method: 'GET', path: layer(), fault: { kind: 'slow', bytesPerSecond: 400_000 } });
    const layout = freshLayout();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 600);
    const err = await copy(viaProxy, { repository: 'faulty/img', reference: 'v1' }, layout, { repository: '', reference: 'v1' }, { signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(await storedBlobs(layout.path)).not.toContain(layer().slice(7));
    const partial = await readdir(join(layout.path, '.ferry-partial', 'sha256'));
    expect(partial).toContain(layer().slice(7));
    expect((await layout.tagList('')).tags).toEqual([]);
    proxy.clearRules();
    await copyToLayout(layout);
    await expectIdentical(layout.path);
  });

  it('restarts an upload the destination failed (500 on the PUT, reset on a PATCH) and completes', async () => {
    const dstProxy = await startFaultProxy(dstRegistry.host);
    const viaDstProxy = createRegistryClient({ registry: dstProxy.host, uploadChunkSize: 200_000, retry: { maxAttempts: 3, baseDelayMs: 20 } });
    try {
      dstProxy.addRule({ method: 'PUT', path: /\/blobs\/uploads\/.*digest=/, fault: { kind: 'status', status: 500 } });
      dstProxy.addRule({ method: 'PATCH', path: '/blobs/uploads/', fault: { kind: 'cut', afterBytes: 0 } });
      const r = await copy(direct, { repository: 'faulty/img', reference: 'v1' }, viaDstProxy, { repository: 'upload/img', reference: 'v1' });
      expect(r.descriptor.digest).toBe(image.descriptor.digest);
      expect(await dst.blobHead('upload/img', layer())).toBe(LAYER);
      expect(dstProxy.requests.filter((q) => q.method === 'POST' && q.path.includes('/blobs/uploads/')).length).toBeGreaterThan(image.blobs.length);
    } finally {
      viaDstProxy.close();
      await dstProxy.stop();
    }
  });

  it('resumes a chunked upload whose PATCH answer was lost, instead of starting over', async () => {
    const dstProxy = await startFaultProxy(dstRegistry.host);
    const viaDstProxy = createRegistryClient({ registry: dstProxy.host, uploadChunkSize: 100_000, retry: { maxAttempts: 2, baseDelayMs: 20 } });
    try {
      // The third PATCH of the big layer reaches the registry, but its answer is replaced by a 500.
      let patches = 0;
      dstProxy.addRule({ method: 'PATCH', path: { test: () => ++patches === 3 } as unknown as RegExp, fault: { kind: 'status', status: 500 } });
      const r = await copy(direct, { repository: 'faulty/img', reference: 'v1' }, viaDstProxy, { repository: 'resume/img', reference: 'v1' });
      expect(r.descriptor.digest).toBe(image.descriptor.digest);
      expect(await dst.blobHead('resume/img', layer())).toBe(LAYER);
      const posts = dstProxy.requests.filter((q) => q.method === 'POST' && q.path.includes('/blobs/uploads/'));
      expect(posts.length).toBe(image.blobs.length); // one session per blob: nothing restarted
      expect(dstProxy.requests.some((q) => q.method === 'GET' && q.path.includes('/blobs/uploads/'))).toBe(true);
    } finally {
      viaDstProxy.close();
      await dstProxy.stop();
    }
  });

  it('fails with OCI_CONNECTION naming the URL when the registry is gone', async () => {
    const gone = createRegistryClient({ registry: '127.0.0.1:1', retry: { maxAttempts: 2, baseDelayMs: 10 } });
    const err = (await gone.manifestGet('x/y', 'v1').catch((e: unknown) => e)) as FerryError;
    gone.close();
    expect(isFerryError(err, OciErrorCode.connection)).toBe(true);
    expect(String(err.data.url)).toContain('127.0.0.1:1');
    expect(err.next).toBe('backoff');
  });
});
