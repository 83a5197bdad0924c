/**
 * GC of the fs store: mark-and-sweep of unreferenced blobs, leases that protect in-flight writes,
 * the grace period, retired-but-not-pruned feeds, and the race between a writer and GC.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFsStore, type FsStoreOptions, type Store } from '../../src/store/index.js';
import { blob, imageManifest, OCI_CONFIG, randomBlob, slowSource, sourceOf, type TestBlob } from './content.js';
import { consistencyProblems, spawnWriter } from './processes.js';

let dir: string;
const opened: Store[] = [];
async function open(options: Partial<FsStoreOptions> = {}): Promise<Store> {
  const store = await createFsStore({ dir, gcGraceMs: 0, ...options });
  opened.push(store);
  await store.feedEnsure('apps', 'oci');
  return store;
}
const fileOf = (b: TestBlob): string => join(dir, 'blobs', 'sha256', b.descriptor.digest.slice(7));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-fs-gc-'));
});
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  await rm(dir, { recursive: true, force: true });
});

async function pushImage(store: Store, repository: string, tag: string): Promise<{ config: TestBlob; layer: TestBlob; digest: string }> {
  const config = blob(Buffer.from(JSON.stringify({ tag, repository })), OCI_CONFIG);
  const layer = randomBlob(4096);
  await store.blobPut(repository, config.descriptor, sourceOf(config.bytes));
  await store.blobPut(repository, layer.descriptor, sourceOf(layer.bytes));
  const m = imageManifest(config, [layer]);
  await store.manifestPut(repository, tag, m.mediaType, m.body);
  return { config, layer, digest: m.digest };
}

describe('fs store GC', () => {
  it('sweeps unreferenced blobs and keeps referenced ones and manifests', async () => {
    const store = await open({ leaseMs: 1 });
    const kept = await pushImage(store, 'apps/web', 'v1');
    const gone = await pushImage(store, 'apps/web', 'v2');
    const stray = randomBlob(1000);
    await store.blobPut('apps/web', stray.descriptor, sourceOf(stray.bytes));
    await store.manifestDelete('apps/web', gone.digest);
    await sleep(5); // leases (1 ms) expired
    const result = await store.gc();
    // gone: its config, its layer and its manifest bytes; plus the stray blob.
    expect(result.blobsDeleted).toBe(4);
    expect(result.bytesFreed).toBeGreaterThan(4096 + 1000);
    expect(existsSync(fileOf(kept.layer))).toBe(true);
    expect(existsSync(fileOf(gone.layer))).toBe(false);
    expect(await store.blobHead('apps/web', stray.descriptor.digest)).toBeUndefined();
    expect((await store.manifestGet('apps/web', 'v1')).descriptor.digest).toBe(kept.digest);
    expect((await store.gc()).blobsDeleted).toBe(0);
  });

  it('keeps leased blobs (a write whose manifest is not put yet) and blobs inside the grace period', async () => {
    const leased = await open({ leaseMs: 60 * 60 * 1000 });
    const b = randomBlob(2048);
    await leased.blobPut('apps/web', b.descriptor, sourceOf(b.bytes));
    expect((await leased.gc()).blobsDeleted).toBe(0);
    expect(await leased.blobHead('apps/web', b.descriptor.digest)).toBe(2048);

    const graced = await createFsStore({ dir, leaseMs: 1, gcGraceMs: 60_000 });
    opened.push(graced);
    const young = randomBlob(100);
    await graced.blobPut('apps/web', young.descriptor, sourceOf(young.bytes));
    await sleep(5);
    expect((await graced.gc()).blobsDeleted).toBe(0);
    expect(existsSync(fileOf(young))).toBe(true);
  });

  it('keeps content of retired feeds until they are pruned', async () => {
    const store = await open({ leaseMs: 1 });
    const image = await pushImage(store, 'apps/web', 'v1');
    await store.feedRetire('apps');
    await sleep(5);
    expect((await store.gc()).blobsDeleted).toBe(0);
    await store.feedPrune('apps');
    expect((await store.gc()).blobsDeleted).toBe(3);
    expect(existsSync(fileOf(image.layer))).toBe(false);
  });

  it('does not delete a blob that a slow in-flight write will reference', async () => {
    const store = await open();
    const big = randomBlob(1024 * 1024);
    const config = blob(Buffer.from('{"slow":1}'), OCI_CONFIG);
    let sweeps = 0;
    const write = store.blobPut('apps/web', big.descriptor, slowSource(big.bytes, 64 * 1024, 3));
    const gcLoop = (async () => {
      while (sweeps < 200) {
        sweeps++;
        await store.gc();
        if (await store.blobHead('apps/web', big.descriptor.digest)) break;
        await sleep(1);
      }
    })();
    await Promise.all([write, gcLoop]);
    await store.gc();
    await store.blobPut('apps/web', config.descriptor, sourceOf(config.bytes));
    await store.gc();
    const m = imageManifest(config, [big]);
    await store.manifestPut('apps/web', 'v1', m.mediaType, m.body);
    expect(sweeps).toBeGreaterThan(1);
    expect(await store.blobHead('apps/web', big.descriptor.digest)).toBe(big.bytes.length);
  });

  it('race: a writer re-linking an unreferenced blob while GC sweeps it never ends up without the blob', async () => {
    // Store A's leases expire at once (its blobs become garbage); store B writes with real leases.
    const a = await open({ leaseMs: 1 });
    const b = await open();
    for (let i = 0; i < 25; i++) {
      const layer = randomBlob(8192);
      const config = blob(Buffer.from(JSON.stringify({ i })), OCI_CONFIG);
      await a.blobPut('apps/web', layer.descriptor, sourceOf(layer.bytes));
      await sleep(2);
      // B dedups against the existing (unreferenced) file while A's GC tries to sweep it.
      await Promise.all([b.blobPut('apps/web', layer.descriptor, sourceOf(layer.bytes)), a.gc(), sleep(i % 3).then(() => a.gc())]);
      await a.gc();
      expect(await b.blobHead('apps/web', layer.descriptor.digest)).toBe(8192);
      await b.blobPut('apps/web', config.descriptor, sourceOf(config.bytes));
      const m = imageManifest(config, [layer]);
      await b.manifestPut('apps/web', `t${i}`, m.mediaType, m.body);
      await a.gc();
      expect(existsSync(fileOf(layer))).toBe(true);
    }
  });

  it('GC in one process while another process pushes: every pushed image stays complete', async () => {
    const store = await open();
    const writer = spawnWriter(['push', dir, 'gcrace', '12']);
    let sweeps = 0;
    while (writer.child.exitCode === null) {
      await store.gc();
      sweeps++;
      await sleep(5);
    }
    expect([await writer.exited, writer.stderr()]).toEqual([0, '']);
    await store.gc();
    expect(sweeps).toBeGreaterThan(1);
    expect(await consistencyProblems(dir)).toEqual([]);
    const records = await store.tagRecords({ repository: 'apps/gcrace' });
    expect(records).toHaveLength(12);
    for (const r of records) {
      const m = JSON.parse((await store.manifestGet(r.repository, r.tag)).body.toString()) as { layers: { digest: string }[] };
      for (const layer of m.layers) expect(await store.blobHead(r.repository, layer.digest)).toBeGreaterThan(0);
    }
  });
});
