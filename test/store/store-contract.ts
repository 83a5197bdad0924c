/**
 * The one behavioural test-suite every Store backend must pass (fs and registry).
 * `describeStoreContract(name, factory)` registers it; each test gets a fresh, empty store.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/index.js';
import {
  artifact, blob, digestOf, emptyConfig, flakySource, imageIndex, imageManifest, OCI_CONFIG, OCI_MANIFEST, randomBlob, readAll, sourceOf, type TestBlob, type TestManifest,
} from './content.js';

export interface StoreUnderTest {
  store: Store;
  /** True when an interrupted blobPut resumes from what it holds (asks the source for offset > 0). */
  resumesBlobs: boolean;
  cleanup(): Promise<void>;
}

export type StoreFactory = () => Promise<StoreUnderTest>;

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code ?? 'NO_CODE';
  }
}

async function putBlobs(store: Store, repository: string, blobs: TestBlob[]): Promise<void> {
  for (const b of blobs) await store.blobPut(repository, b.descriptor, sourceOf(b.bytes));
}

/** Pushes config + layers + manifest under `tag`; returns the manifest. */
async function pushImage(store: Store, repository: string, tag: string, layerSize = 1024): Promise<TestManifest> {
  const config = blob(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', tag, nonce: Math.random() })), OCI_CONFIG);
  const layers = [randomBlob(layerSize), randomBlob(layerSize)];
  await putBlobs(store, repository, [config, ...layers]);
  const manifest = imageManifest(config, layers);
  await store.manifestPut(repository, tag, manifest.mediaType, manifest.body);
  return manifest;
}

export function describeStoreContract(name: string, factory: StoreFactory): void {
  describe(`Store contract: ${name}`, () => {
    let sut: StoreUnderTest;
    let store: Store;
    beforeEach(async () => {
      sut = await factory();
      store = sut.store;
      await store.feedEnsure('apps', 'oci');
    });
    afterEach(async () => {
      await sut.cleanup();
    });

    describe('feeds', () => {
      it('ensures idempotently, refuses another type, lists', async () => {
        const again = await store.feedEnsure('apps', 'oci');
        expect(again).toMatchObject({ name: 'apps', type: 'oci', retired: false });
        expect(await codeOf(store.feedEnsure('apps', 'debian'))).toBe('STORE_FEED_TYPE_MISMATCH');
        await store.feedEnsure('debs', 'debian');
        expect((await store.feedList()).map((f) => f.name)).toEqual(['apps', 'debs']);
        expect(await store.feedGet('nope')).toBeUndefined();
      });

      it('validates repository names and requires an existing feed', async () => {
        const b = randomBlob(10);
        expect(await codeOf(store.blobPut('Apps/Bad', b.descriptor, sourceOf(b.bytes)))).toBe('OCI_NAME_INVALID');
        expect(await codeOf(store.blobPut('apps', b.descriptor, sourceOf(b.bytes)))).toBe('OCI_NAME_INVALID');
        expect(await codeOf(store.blobPut('apps/../x', b.descriptor, sourceOf(b.bytes)))).toBe('OCI_NAME_INVALID');
        expect(await codeOf(store.blobPut('other/x', b.descriptor, sourceOf(b.bytes)))).toBe('STORE_FEED_UNKNOWN');
        expect(await codeOf(store.manifestGet('apps/x', 'bad tag!'))).toBe('OCI_TAG_INVALID');
      });

      it('retires (content hidden, kept), re-ensures, prunes', async () => {
        const m = await pushImage(store, 'apps/web', 'v1');
        await store.feedRetire('apps');
        expect((await store.feedGet('apps'))?.retired).toBe(true);
        expect(await codeOf(store.manifestGet('apps/web', 'v1'))).toBe('STORE_FEED_UNKNOWN');
        await store.feedEnsure('apps', 'oci');
        expect((await store.manifestGet('apps/web', 'v1')).descriptor.digest).toBe(m.digest);
        expect(await codeOf(store.feedPrune('apps'))).toBe('STORE_FEED_NOT_RETIRED');
        await store.feedRetire('apps');
        await store.feedPrune('apps');
        expect(await store.feedGet('apps')).toBeUndefined();
        expect(await codeOf(store.changes('apps', 0))).toBe('STORE_FEED_UNKNOWN');
        await store.feedEnsure('apps', 'oci');
        expect(await store.repositoryList('apps')).toEqual([]);
        expect((await store.changes('apps', 0)).last).toBe(0);
      });
    });

    describe('blobs', () => {
      it('puts, heads, gets whole and from an offset', async () => {
        const b = randomBlob(300_000);
        const result = await store.blobPut('apps/web', b.descriptor, sourceOf(b.bytes));
        expect(result.transferred).toBe(b.bytes.length);
        expect(await store.blobHead('apps/web', b.descriptor.digest)).toBe(b.bytes.length);
        const whole = await store.blobGet('apps/web', b.descriptor.digest);
        expect(whole.size).toBe(b.bytes.length);
        expect((await readAll(whole.stream)).equals(b.bytes)).toBe(true);
        const ranged = await store.blobGet('apps/web', b.descriptor.digest, { offset: 1000 });
        expect(ranged.offset).toBe(1000);
        expect((await readAll(ranged.stream)).equals(b.bytes.subarray(1000))).toBe(true);
      });

      it('reports absent blobs', async () => {
        const b = randomBlob(10);
        expect(await store.blobHead('apps/web', b.descriptor.digest)).toBeUndefined();
        expect(await codeOf(store.blobGet('apps/web', b.descriptor.digest))).toBe('OCI_BLOB_UNKNOWN');
      });

      it('deduplicates: a blob already held is not fetched again', async () => {
        const b = randomBlob(5000);
        await store.blobPut('apps/web', b.descriptor, sourceOf(b.bytes));
        const asked: number[] = [];
        const again = await store.blobPut('apps/web', b.descriptor, sourceOf(b.bytes, asked));
        expect(again.transferred).toBe(0);
        expect(asked).toEqual([]);
      });

      it('mounts from another repository of the store', async () => {
        const b = randomBlob(2000);
        await store.blobPut('apps/web', b.descriptor, sourceOf(b.bytes));
        expect(await store.blobMount('apps/api', 'apps/web', b.descriptor.digest)).toBe(true);
        expect(await store.blobHead('apps/api', b.descriptor.digest)).toBe(2000);
        expect(await store.blobMount('apps/api', 'apps/web', randomBlob(5).descriptor.digest)).toBe(false);
      });

      it('rejects a digest mismatch and stores nothing', async () => {
        const b = randomBlob(4096);
        const lie = randomBlob(4096);
        const code = await codeOf(store.blobPut('apps/web', b.descriptor, sourceOf(lie.bytes)));
        expect(code).toBe('OCI_BLOB_DIGEST_MISMATCH');
        expect(await store.blobHead('apps/web', b.descriptor.digest)).toBeUndefined();
      });

      it('survives a dropped source and resumes where the backend can', async () => {
        const b = randomBlob(2 * 1024 * 1024 + 17);
        const asked: number[] = [];
        await store.blobPut('apps/web', b.descriptor, flakySource(b.bytes, 1024 * 1024, asked));
        expect((await readAll((await store.blobGet('apps/web', b.descriptor.digest)).stream)).equals(b.bytes)).toBe(true);
        expect(asked.length).toBeGreaterThanOrEqual(2);
        if (sut.resumesBlobs) expect(asked[1]).toBeGreaterThan(0);
      });
    });

    describe('manifests', () => {
      it('puts and gets by tag and by digest, exact bytes', async () => {
        const m = await pushImage(store, 'apps/web', 'v1');
        const byTag = await store.manifestGet('apps/web', 'v1');
        expect(byTag.descriptor).toMatchObject({ digest: m.digest, size: m.body.length, mediaType: m.mediaType });
        expect(byTag.body.equals(m.body)).toBe(true);
        const byDigest = await store.manifestGet('apps/web', m.digest);
        expect(byDigest.body.equals(m.body)).toBe(true);
        expect(await store.manifestHead('apps/web', 'v1')).toMatchObject({ digest: m.digest, size: m.body.length });
        expect(await store.manifestHead('apps/web', 'v2')).toBeUndefined();
        expect(await codeOf(store.manifestGet('apps/web', 'v2'))).toBe('OCI_MANIFEST_UNKNOWN');
        expect(await store.repositoryList('apps')).toEqual(['apps/web']);
      });

      it('puts an index whose children are present; refuses one with a missing child', async () => {
        const a = await pushImage(store, 'apps/multi', 'amd64');
        const b = await pushImage(store, 'apps/multi', 'arm64');
        const index = imageIndex([a, b]);
        const d = await store.manifestPut('apps/multi', 'latest', index.mediaType, index.body);
        expect(d.digest).toBe(index.digest);
        expect((await store.manifestGet('apps/multi', 'latest')).body.equals(index.body)).toBe(true);
        const orphanConfig = blob(Buffer.from('{"orphan":true}'), OCI_CONFIG);
        const orphan = imageManifest(orphanConfig, []);
        const bad = imageIndex([a, orphan]);
        expect(await codeOf(store.manifestPut('apps/multi', 'bad', bad.mediaType, bad.body))).toBe('OCI_MANIFEST_BLOB_UNKNOWN');
      });

      it('refuses a manifest with a missing blob, schema1, and a digest that does not match', async () => {
        const config = blob(Buffer.from('{"a":1}'), OCI_CONFIG);
        const layer = randomBlob(100);
        await putBlobs(store, 'apps/web', [config]);
        const m = imageManifest(config, [layer]);
        expect(await codeOf(store.manifestPut('apps/web', 'v1', m.mediaType, m.body))).toBe('OCI_MANIFEST_BLOB_UNKNOWN');
        expect(await store.manifestHead('apps/web', 'v1')).toBeUndefined();
        const schema1 = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [] }));
        expect(await codeOf(store.manifestPut('apps/web', 'v1', 'application/vnd.docker.distribution.manifest.v1+prettyjws', schema1))).toBe('OCI_UNSUPPORTED_MEDIA_TYPE');
        await putBlobs(store, 'apps/web', [layer]);
        expect(await codeOf(store.manifestPut('apps/web', digestOf(Buffer.from('x')), m.mediaType, m.body))).toBe('OCI_DIGEST_INVALID');
        expect(await codeOf(store.manifestPut('apps/web', 'v1', m.mediaType, Buffer.from('{not json')))).toBe('OCI_MANIFEST_INVALID');
      });

      it('stores Docker schema2 manifests and manifest lists', async () => {
        const config = blob(Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'), 'application/vnd.docker.container.image.v1+json');
        const layer = randomBlob(500, 'application/vnd.docker.image.rootfs.diff.tar.gzip');
        await putBlobs(store, 'apps/docker', [config, layer]);
        const type = 'application/vnd.docker.distribution.manifest.v2+json';
        const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: type, config: config.descriptor, layers: [layer.descriptor] }));
        const d = await store.manifestPut('apps/docker', 'amd64', type, body);
        const listType = 'application/vnd.docker.distribution.manifest.list.v2+json';
        const list = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: listType, manifests: [{ mediaType: type, digest: d.digest, size: d.size, platform: { architecture: 'amd64', os: 'linux' } }] }));
        await store.manifestPut('apps/docker', 'latest', listType, list);
        const got = await store.manifestGet('apps/docker', 'latest');
        expect(got.descriptor.mediaType).toBe(listType);
        expect(got.body.equals(list)).toBe(true);
        expect((await store.manifestGet('apps/docker', 'amd64')).descriptor).toMatchObject({ mediaType: type, digest: digestOf(body) });
      });

      it('refuses a manifest over 4 MiB', async () => {
        const huge = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: emptyConfig.descriptor, layers: [], annotations: { pad: 'x'.repeat(4 * 1024 * 1024) } }));
        expect(await codeOf(store.manifestPut('apps/web', 'big', OCI_MANIFEST, huge))).toBe('OCI_MANIFEST_TOO_LARGE');
      });

      it('lists tags sorted with n/last pagination', async () => {
        const m = await pushImage(store, 'apps/web', 'v3');
        for (const tag of ['v1', 'b', 'a', 'v2']) await store.manifestPut('apps/web', tag, m.mediaType, m.body);
        expect((await store.tagList('apps/web')).tags).toEqual(['a', 'b', 'v1', 'v2', 'v3']);
        const p1 = await store.tagList('apps/web', { n: 2 });
        expect(p1).toEqual({ tags: ['a', 'b'], next: 'b' });
        const p2 = await store.tagList('apps/web', { n: 2, last: p1.next });
        expect(p2).toEqual({ tags: ['v1', 'v2'], next: 'v2' });
        const p3 = await store.tagList('apps/web', { n: 2, last: p2.next });
        expect(p3.tags).toEqual(['v3']);
        expect(p3.next).toBeUndefined();
        expect(await codeOf(store.tagList('apps/nothing'))).toBe('OCI_NAME_UNKNOWN');
      });

      it('answers referrers from the subject index, filtered by artifactType', async () => {
        const image = await pushImage(store, 'apps/web', 'v1');
        const file = randomBlob(64);
        await putBlobs(store, 'apps/web', [emptyConfig, file]);
        const sig = artifact(image, 'application/vnd.example.signature', file);
        const sbom = artifact(image, 'application/vnd.example.sbom', file);
        await store.manifestPut('apps/web', sig.digest, sig.mediaType, sig.body);
        await store.manifestPut('apps/web', sbom.digest, sbom.mediaType, sbom.body);
        const all = await store.referrers('apps/web', image.digest);
        expect(all.map((d) => d.digest).sort()).toEqual([sig.digest, sbom.digest].sort());
        const sigs = await store.referrers('apps/web', image.digest, { artifactType: 'application/vnd.example.signature' });
        expect(sigs).toEqual([{ mediaType: sig.mediaType, digest: sig.digest, size: sig.body.length, artifactType: 'application/vnd.example.signature', annotations: { 'org.example.kind': 'application/vnd.example.signature' } }]);
        expect(await store.referrers('apps/web', sig.digest)).toEqual([]);
      });
    });

    describe('change log, deletes and origin', () => {
      it('records put and tag with monotonic sequence, once per real change', async () => {
        const m = await pushImage(store, 'apps/web', 'v1');
        await store.manifestPut('apps/web', 'v1', m.mediaType, m.body); // no change
        await store.manifestPut('apps/web', 'latest', m.mediaType, m.body); // new tag only
        const page = await store.changes('apps', 0);
        expect(page.changes.map((c) => [c.seq, c.op, c.repository, c.tag, c.digest, c.origin])).toEqual([
          [1, 'put', 'apps/web', undefined, m.digest, 'local'],
          [2, 'tag', 'apps/web', 'v1', m.digest, 'local'],
          [3, 'tag', 'apps/web', 'latest', m.digest, 'local'],
        ]);
        expect(page.last).toBe(3);
        expect(page.changes[0]?.mediaType).toBe(m.mediaType);
        expect(Number.isNaN(Date.parse(page.changes[0]?.at ?? ''))).toBe(false);
        const since = await store.changes('apps', 2, 10);
        expect(since.changes.map((c) => c.seq)).toEqual([3]);
        expect(await store.changes('apps', 3)).toEqual({ changes: [], last: 3 });
      });

      it('moves tags, untags and deletes, recording origin', async () => {
        const m1 = await pushImage(store, 'apps/web', 'v1');
        const m2 = await pushImage(store, 'apps/web', 'v2');
        await store.manifestPutWithContext('apps/web', 'stable', m1.mediaType, m1.body, { origin: 'replication:hub-copy' });
        await store.manifestPutWithContext('apps/web', 'stable', m2.mediaType, m2.body, { origin: 'replication:hub-copy' });
        expect(await store.tagGet('apps/web', 'stable')).toMatchObject({ digest: m2.digest, origin: 'replication:hub-copy', mediaType: m2.mediaType });
        const before = (await store.changes('apps', 0)).last;

        expect(await store.tagDelete('apps/web', 'v1', { origin: 'replication:hub-copy' })).toBe(true);
        expect(await store.tagDelete('apps/web', 'v1')).toBe(false);
        expect((await store.manifestGet('apps/web', m1.digest)).descriptor.digest).toBe(m1.digest);
        expect(await store.manifestDelete('apps/web', m2.digest)).toBe(true);
        expect(await store.manifestDelete('apps/web', m2.digest)).toBe(false);
        expect(await codeOf(store.manifestGet('apps/web', m2.digest))).toBe('OCI_MANIFEST_UNKNOWN');
        expect(await store.tagGet('apps/web', 'stable')).toBeUndefined();
        expect((await store.tagList('apps/web')).tags).toEqual([]);

        const after = await store.changes('apps', before);
        expect(after.changes.map((c) => [c.op, c.tag, c.digest, c.origin])).toEqual([
          ['untag', 'v1', m1.digest, 'replication:hub-copy'],
          ['untag', 'stable', m2.digest, 'local'],
          ['untag', 'v2', m2.digest, 'local'],
          ['delete', undefined, m2.digest, 'local'],
        ]);
        expect(await codeOf(store.manifestPutWithContext('apps/web', 'x', m1.mediaType, m1.body, { origin: 'someone else' }))).toBe('STORE_ORIGIN_INVALID');
        const records = await store.tagRecords({ feed: 'apps' });
        expect(records).toEqual([]);
      });

      it('lists tag records per feed and per repository', async () => {
        const a = await pushImage(store, 'apps/a', 'v1');
        const b = await pushImage(store, 'apps/b', 'v1');
        await store.manifestPut('apps/b', 'v2', b.mediaType, b.body);
        expect((await store.tagRecords({ feed: 'apps' })).map((r) => `${r.repository}:${r.tag}@${r.digest}`)).toEqual([
          `apps/a:v1@${a.digest}`, `apps/b:v1@${b.digest}`, `apps/b:v2@${b.digest}`,
        ]);
        expect((await store.tagRecords({ repository: 'apps/a' })).length).toBe(1);
      });
    });
  });
}
