/**
 * The registry backend against a real CNCF distribution (Debian's docker-registry on 127.0.0.1:0):
 * the shared Store contract, plus what is specific to it (content really lands in the registry,
 * namespaces, deletes map to manifest DELETE by digest).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryClient } from '../../src/oci/index.js';
import { createRegistryStore } from '../../src/store/index.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { blob, imageManifest, OCI_CONFIG, randomBlob, sourceOf } from './content.js';
import { describeStoreContract } from './store-contract.js';

let registry: RunningRegistry;
let counter = 0;
beforeAll(async () => {
  registry = await startRegistry();
});
afterAll(async () => {
  await registry?.stop();
});

describeStoreContract('registry', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-registry-store-'));
  // A namespace per test keeps tests apart inside the one registry.
  const store = await createRegistryStore({ client: { registry: registry.host }, dir, namespace: `t${++counter}` });
  return {
    store,
    resumesBlobs: false, // distribution uploads restart from 0 (no resumable upload offset used)
    async cleanup() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('registry store specifics', () => {
  it('stores content in the registry under the namespace and deletes by digest there', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-registry-store-'));
    const store = await createRegistryStore({ client: { registry: registry.host }, dir, namespace: 'specific' });
    const client = createRegistryClient({ registry: registry.host });
    try {
      await store.feedEnsure('apps', 'oci');
      const config = blob(Buffer.from('{"os":"linux"}'), OCI_CONFIG);
      const layer = randomBlob(10_000);
      for (const b of [config, layer]) await store.blobPut('apps/web', b.descriptor, sourceOf(b.bytes));
      const m = imageManifest(config, [layer]);
      await store.manifestPut('apps/web', 'v1', m.mediaType, m.body);

      // Another client sees exactly these bytes in the registry.
      const fetched = await client.manifestGet('specific/apps/web', 'v1');
      expect(fetched.body.equals(m.body)).toBe(true);
      expect(await client.blobHead('specific/apps/web', layer.descriptor.digest)).toBe(10_000);

      // Untag: ferry's record only (distribution has no tag delete); the registry keeps the tag.
      await store.tagDelete('apps/web', 'v1');
      expect(await store.manifestHead('apps/web', 'v1')).toBeUndefined();
      expect(await client.manifestHead('specific/apps/web', 'v1')).toBeDefined();

      // Delete: a manifest DELETE by digest; the registry drops it (and its tags).
      expect(await store.manifestDelete('apps/web', m.digest)).toBe(true);
      expect(await client.manifestHead('specific/apps/web', m.digest)).toBeUndefined();
      expect((await store.changes('apps', 0)).changes.map((c) => c.op)).toEqual(['put', 'tag', 'untag', 'delete']);

      // Ferry's metadata survives a restart (own SQLite).
      await store.close();
      const reopened = await createRegistryStore({ client: { registry: registry.host }, dir, namespace: 'specific' });
      expect((await reopened.changes('apps', 0)).last).toBe(4);
      await reopened.close();
    } finally {
      client.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('pruning a retired feed deletes its manifests in the registry (for the registry GC to reclaim)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-registry-store-'));
    const store = await createRegistryStore({ client: { registry: registry.host }, dir, namespace: 'prune' });
    const client = createRegistryClient({ registry: registry.host });
    try {
      await store.feedEnsure('old', 'oci');
      const config = blob(Buffer.from('{"os":"plan9"}'), OCI_CONFIG);
      await store.blobPut('old/app', config.descriptor, sourceOf(config.bytes));
      const m = imageManifest(config, []);
      await store.manifestPut('old/app', 'v1', m.mediaType, m.body);
      expect(await client.manifestHead('prune/old/app', m.digest)).toBeDefined();
      await store.feedRetire('old');
      await store.feedPrune('old');
      expect(await client.manifestHead('prune/old/app', m.digest)).toBeUndefined();
      expect(await store.feedGet('old')).toBeUndefined();
    } finally {
      client.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
