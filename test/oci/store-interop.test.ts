/**
 * The interop path end to end: Debian's docker-registry → ferry's fs store (src/store) →
 * a second docker-registry, through the one copy(); image, multi-arch index and an ORAS-style
 * artifact with a subject (copied as a referrer). Digests identical end to end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { artifact, multiArchIndex, pushBuilt, randomImage } from '../helpers/oci-content.js';
import { copy, createRegistryClient, type RegistryClient } from '../../src/oci/index.js';
import { createFsStore, type Store } from '../../src/store/index.js';

describe('docker-registry → fs store → docker-registry', () => {
  let reg1: RunningRegistry;
  let reg2: RunningRegistry;
  let c1: RegistryClient;
  let c2: RegistryClient;
  let store: Store;
  let dir: string;

  beforeAll(async () => {
    [reg1, reg2] = await Promise.all([startRegistry(), startRegistry()]);
    c1 = createRegistryClient({ registry: reg1.host });
    c2 = createRegistryClient({ registry: reg2.host });
    dir = await mkdtemp(join(tmpdir(), 'ferry-oci-store-'));
    store = await createFsStore({ dir });
    await store.feedEnsure('containers', 'oci');
  });
  afterAll(async () => {
    c1?.close();
    c2?.close();
    await store?.close();
    await Promise.all([reg1?.stop(), reg2?.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('copies image + referrer, index and artifact with identical digests, and skips what is there', async () => {
    const image = randomImage({ layers: [80_000, 120_000, 160_000] });
    const index = multiArchIndex(['linux/amd64', 'linux/arm64', 'linux/arm/v7']);
    const signature = artifact({ artifactType: 'application/vnd.example.signature', files: [{ name: 'sig', data: Buffer.from('signed') }], subject: image.descriptor });
    await pushBuilt(c1, 'apps/web', image, 'v1');
    await pushBuilt(c1, 'apps/web', signature);
    await pushBuilt(c1, 'apps/multi', index, 'v2');

    const toStore = await copy(c1, { repository: 'apps/web', reference: 'v1' }, store, { repository: 'containers/web', reference: 'v1' }, { referrers: true });
    expect(toStore.descriptor.digest).toBe(image.descriptor.digest);
    await copy(c1, { repository: 'apps/multi', reference: 'v2' }, store, { repository: 'containers/multi', reference: 'v2' });
    expect((await store.manifestHead('containers/web', 'v1'))?.digest).toBe(image.descriptor.digest);
    expect((await store.manifestHead('containers/multi', 'v2'))?.digest).toBe(index.descriptor.digest);
    expect((await store.referrers('containers/web', image.descriptor.digest)).map((d) => d.digest)).toContain(signature.descriptor.digest);

    // Shared blobs are transferred once: a second repository of the same feed gets nothing new.
    const again = await copy(c1, { repository: 'apps/web', reference: 'v1' }, store, { repository: 'containers/web-copy', reference: 'v1' });
    expect(again.bytesTransferred).toBe(0);

    await copy(store, { repository: 'containers/web', reference: 'v1' }, c2, { repository: 'edge/web', reference: 'v1' }, { referrers: true });
    await copy(store, { repository: 'containers/multi', reference: 'v2' }, c2, { repository: 'edge/multi', reference: 'v2' });
    expect((await c2.manifestGet('edge/web', 'v1')).body.equals(image.body)).toBe(true);
    expect((await c2.manifestGet('edge/multi', 'v2')).body.equals(index.body)).toBe(true);
    for (const child of index.children) expect((await c2.manifestHead('edge/multi', child.descriptor.digest))?.digest).toBe(child.descriptor.digest);
    expect((await c2.referrers('edge/web', image.descriptor.digest)).map((d) => d.digest)).toEqual([signature.descriptor.digest]);
    expect((await c2.manifestGet('edge/web', signature.descriptor.digest)).body.equals(signature.body)).toBe(true);
  });
});
