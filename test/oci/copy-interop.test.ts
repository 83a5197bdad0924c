/**
 * Interop with real peers: Debian's docker-registry (distribution 2.8) and skopeo, on loopback.
 * registry → layout → second registry with identical digests; skopeo reads ferry's layouts and
 * ferry reads skopeo's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { allBlobs, artifact, multiArchIndex, pushBuilt, randomImage } from '../helpers/oci-content.js';
import { copy, createLayoutTarget, createRegistryClient, digestFile, MediaType, OciErrorCode, type RegistryClient } from '../../src/oci/index.js';
import { isFerryError } from '../../src/errors/index.js';

const run = promisify(execFile);

describe('copy between docker-registry, OCI layouts and skopeo', () => {
  let reg1: RunningRegistry;
  let reg2: RunningRegistry;
  let c1: RegistryClient;
  let c2: RegistryClient;
  let dir: string;

  beforeAll(async () => {
    [reg1, reg2] = await Promise.all([startRegistry(), startRegistry()]);
    c1 = createRegistryClient({ registry: reg1.host });
    c2 = createRegistryClient({ registry: reg2.host });
    dir = await mkdtemp(join(tmpdir(), 'ferry-oci-interop-'));
  });
  afterAll(async () => {
    c1?.close();
    c2?.close();
    await Promise.all([reg1?.stop(), reg2?.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('pushes and reads back an image with the client (tags, HEAD, Range)', async () => {
    const image = randomImage({ layers: [10_000, 20_000, 30_000] });
    const pushed = await pushBuilt(c1, 'apps/web', image, 'v1');
    expect(pushed.digest).toBe(image.descriptor.digest);
    const got = await c1.manifestGet('apps/web', 'v1');
    expect(got.descriptor.digest).toBe(image.descriptor.digest);
    expect(got.body.equals(image.body)).toBe(true);
    expect((await c1.manifestHead('apps/web', 'v1'))?.digest).toBe(image.descriptor.digest);
    expect(await c1.manifestHead('apps/web', 'nope')).toBeUndefined();
    expect((await c1.tagList('apps/web')).tags).toEqual(['v1']);
    const layer = image.blobs[3]!; // [0] is the config
    expect(await c1.blobHead('apps/web', layer.descriptor.digest)).toBe(30_000);
    const ranged = await c1.blobGet('apps/web', layer.descriptor.digest, { offset: 25_000 });
    expect(ranged.offset).toBe(25_000);
    expect(ranged.size).toBe(30_000);
    const chunks: Buffer[] = [];
    for await (const c of ranged.stream) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(layer.data.subarray(25_000))).toBe(true);
    const err = await c1.manifestGet('apps/web', 'missing').catch((e: unknown) => e);
    expect(isFerryError(err, OciErrorCode.manifestUnknown)).toBe(true);
    expect((await c1.catalog()).repositories).toContain('apps/web');
  });

  it('uploads in chunks (PATCH with Content-Range) and mounts across repositories', async () => {
    const chunked = createRegistryClient({ registry: reg1.host, uploadChunkSize: 7000 });
    const image = randomImage({ layers: [50_000] });
    await pushBuilt(chunked, 'chunked/img', image, 'c1');
    chunked.close();
    expect((await c1.manifestGet('chunked/img', 'c1')).descriptor.digest).toBe(image.descriptor.digest);
    const layer = image.blobs[1]!.descriptor.digest;
    expect(await c1.blobMount('mounted/img', 'chunked/img', layer)).toBe(true);
    expect(await c1.blobHead('mounted/img', layer)).toBe(50_000);
  });

  it('copies image, multi-arch index and artifact with referrers: registry → layout → registry, digests identical', async () => {
    const image = randomImage({ layers: [100_000, 200_000] });
    const index = multiArchIndex(['linux/amd64', 'linux/arm64/v8']);
    const sbom = artifact({ artifactType: 'application/spdx+json', files: [{ name: 'sbom.json', data: Buffer.from('{"spdx":true}') }], subject: image.descriptor });
    await pushBuilt(c1, 'src/image', image, 'v1');
    await pushBuilt(c1, 'src/index', index, 'multi');
    await pushBuilt(c1, 'src/image', sbom);
    const refs = await c1.referrers('src/image', image.descriptor.digest);
    expect(refs.map((r) => r.digest)).toEqual([sbom.descriptor.digest]);
    expect(refs[0]?.artifactType).toBe('application/spdx+json');

    const layoutDir = join(dir, 'layout-a');
    const layout = createLayoutTarget(layoutDir);
    const progress: number[] = [];
    const r1 = await copy(c1, { repository: 'src/image', reference: 'v1' }, layout, { repository: 'x', reference: 'v1' }, { referrers: true, onProgress: (p) => progress.push(p.done) });
    expect(r1.descriptor.digest).toBe(image.descriptor.digest);
    expect(r1.bytesTransferred).toBeGreaterThanOrEqual(300_000);
    expect(progress.length).toBeGreaterThan(0);
    const r2 = await copy(c1, { repository: 'src/index', reference: 'multi' }, layout, { repository: 'x', reference: 'multi' });
    expect(r2.manifests).toBe(3);

    // Every blob landed, byte-identical and named by its digest.
    for (const b of [...allBlobs(image), ...allBlobs(index)]) {
      expect(await digestFile(join(layoutDir, 'blobs', 'sha256', b.descriptor.digest.slice(7)))).toBe(b.descriptor.digest);
    }
    expect((await layout.referrers('', image.descriptor.digest)).map((d) => d.digest)).toEqual([sbom.descriptor.digest]);
    expect(await readdir(join(layoutDir, '.ferry-partial', 'sha256'))).toEqual([]);

    // Again: nothing transferred.
    const again = await copy(c1, { repository: 'src/image', reference: 'v1' }, layout, { repository: 'x', reference: 'v1' }, { referrers: true });
    expect(again.bytesTransferred).toBe(0);
    expect(again.manifests).toBe(0);

    // layout → second registry
    await copy(layout, { repository: 'x', reference: 'v1' }, c2, { repository: 'dst/image', reference: 'v1' }, { referrers: true });
    await copy(layout, { repository: 'x', reference: 'multi' }, c2, { repository: 'dst/index', reference: 'multi' });
    expect((await c2.manifestGet('dst/image', 'v1')).descriptor.digest).toBe(image.descriptor.digest);
    expect((await c2.manifestGet('dst/index', 'multi')).descriptor.digest).toBe(index.descriptor.digest);
    for (const child of index.children) expect((await c2.manifestHead('dst/index', child.descriptor.digest))?.digest).toBe(child.descriptor.digest);
    expect((await c2.referrers('dst/image', image.descriptor.digest)).map((d) => d.digest)).toEqual([sbom.descriptor.digest]);
    const sbomBack = await c2.manifestGet('dst/image', sbom.descriptor.digest);
    expect(sbomBack.body.equals(sbom.body)).toBe(true);
  });

  it('filters an index by platform: one match copies that manifest, several make a new index, all keep the index', async () => {
    const index = multiArchIndex(['linux/amd64', 'linux/arm64']);
    await pushBuilt(c1, 'plat/img', index, 'v1');
    const one = await copy(c1, { repository: 'plat/img', reference: 'v1' }, c2, { repository: 'plat/one', reference: 'v1' }, { platform: 'linux/arm64' });
    expect(one.descriptor.digest).toBe(index.children[1]!.descriptor.digest);
    expect((await c2.manifestHead('plat/one', 'v1'))?.digest).toBe(index.children[1]!.descriptor.digest);
    expect(await c2.blobHead('plat/one', index.children[0]!.blobs[1]!.descriptor.digest)).toBeUndefined();
    const err = await copy(c1, { repository: 'plat/img', reference: 'v1' }, c2, { repository: 'plat/none' }, { platform: 'windows/amd64' }).catch((e: unknown) => e);
    expect(isFerryError(err, 'OCI_PLATFORM_NOT_FOUND')).toBe(true);
    const all = await copy(c1, { repository: 'plat/img', reference: 'v1' }, c2, { repository: 'plat/all', reference: 'v1' }, { platform: 'linux/amd64' });
    expect(all.descriptor.digest).toBe(index.children[0]!.descriptor.digest);

    // Several matches (variants): a new index of just those, with a new digest.
    const arm = multiArchIndex(['linux/arm/v6', 'linux/arm/v7', 'linux/amd64']);
    await pushBuilt(c1, 'plat/arm', arm, 'v1');
    const two = await copy(c1, { repository: 'plat/arm', reference: 'v1' }, c2, { repository: 'plat/arm', reference: 'v1' }, { platform: 'linux/arm' });
    expect(two.descriptor.digest).not.toBe(arm.descriptor.digest);
    const written = JSON.parse((await c2.manifestGet('plat/arm', 'v1')).body.toString()) as { manifests: Array<{ digest: string }> };
    expect(written.manifests.map((m) => m.digest)).toEqual([arm.children[0]!.descriptor.digest, arm.children[1]!.descriptor.digest]);
    // Every child matches: the index is copied unchanged.
    const same = await copy(c1, { repository: 'plat/arm', reference: 'v1' }, c2, { repository: 'plat/arm-linux', reference: 'v1' }, { platform: 'linux/arm/v7' });
    expect(same.descriptor.digest).toBe(arm.children[1]!.descriptor.digest);
    const unchanged = multiArchIndex(['linux/amd64']);
    await pushBuilt(c1, 'plat/single', unchanged, 'v1');
    const kept = await copy(c1, { repository: 'plat/single', reference: 'v1' }, c2, { repository: 'plat/single', reference: 'v1' }, { platform: 'linux/amd64' });
    expect(kept.descriptor.digest).toBe(unchanged.descriptor.digest);
  });

  it('same-registry copy mounts blobs instead of transferring them', async () => {
    const image = randomImage({ layers: [40_000] });
    await pushBuilt(c1, 'mount/src', image, 'v1');
    const r = await copy(c1, { repository: 'mount/src', reference: 'v1' }, c1, { repository: 'mount/dst', reference: 'v1' });
    expect(r.bytesTransferred).toBe(0);
    expect(r.blobs).toBe(2);
    expect((await c1.manifestHead('mount/dst', 'v1'))?.digest).toBe(image.descriptor.digest);
  });

  it('skopeo reads a layout ferry wrote, and ferry reads a layout skopeo wrote', async () => {
    const image = randomImage({ layers: [30_000, 40_000] });
    const index = multiArchIndex(['linux/amd64', 'linux/arm64']);
    await pushBuilt(c1, 'sk/img', image, 'v1');
    await pushBuilt(c1, 'sk/idx', index, 'v1');
    const ferryLayout = join(dir, 'ferry-written');
    await copy(c1, { repository: 'sk/img', reference: 'v1' }, createLayoutTarget(ferryLayout), { repository: '', reference: 'v1' });
    await copy(c1, { repository: 'sk/idx', reference: 'v1' }, createLayoutTarget(ferryLayout), { repository: '', reference: 'multi' });
    // skopeo pushes ferry's layout into the second registry, preserving digests.
    await run('skopeo', ['copy', '--preserve-digests', '--dest-tls-verify=false', `oci:${ferryLayout}:v1`, `docker://${reg2.host}/sk/img:v1`]);
    await run('skopeo', ['copy', '--all', '--preserve-digests', '--dest-tls-verify=false', `oci:${ferryLayout}:multi`, `docker://${reg2.host}/sk/idx:v1`]);
    expect((await c2.manifestHead('sk/img', 'v1'))?.digest).toBe(image.descriptor.digest);
    expect((await c2.manifestHead('sk/idx', 'v1'))?.digest).toBe(index.descriptor.digest);
    const { stdout } = await run('skopeo', ['inspect', '--raw', `oci:${ferryLayout}:v1`]);
    expect(Buffer.from(stdout).equals(image.body)).toBe(true);

    // skopeo writes a layout from the registry; ferry copies it to the second registry.
    const skopeoLayout = join(dir, 'skopeo-written');
    await run('skopeo', ['copy', '--all', '--preserve-digests', '--src-tls-verify=false', `docker://${reg1.host}/sk/idx:v1`, `oci:${skopeoLayout}:idx`]);
    await run('skopeo', ['copy', '--preserve-digests', '--src-tls-verify=false', `docker://${reg1.host}/sk/img:v1`, `oci:${skopeoLayout}:img`]);
    const skLayout = createLayoutTarget(skopeoLayout);
    expect((await skLayout.tagList('')).tags).toEqual(['idx', 'img']);
    await copy(skLayout, { repository: '', reference: 'idx' }, c2, { repository: 'from-skopeo/idx', reference: 'v1' });
    await copy(skLayout, { repository: '', reference: 'img' }, c2, { repository: 'from-skopeo/img', reference: 'v1' });
    expect((await c2.manifestHead('from-skopeo/idx', 'v1'))?.digest).toBe(index.descriptor.digest);
    expect((await c2.manifestHead('from-skopeo/img', 'v1'))?.digest).toBe(image.descriptor.digest);
    const indexJson = JSON.parse(await readFile(join(skopeoLayout, 'index.json'), 'utf8')) as { manifests: unknown[] };
    expect(indexJson.manifests.length).toBe(2);
  });

  it('refuses Docker schema 1 with OCI_UNSUPPORTED_MEDIA_TYPE', async () => {
    const layout = createLayoutTarget(join(dir, 'schema1'));
    const body = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [] }));
    const err = await layout.manifestPut('', 'old', MediaType.dockerSchema1Signed, body).catch((e: unknown) => e);
    expect(isFerryError(err, OciErrorCode.unsupportedMediaType)).toBe(true);
  });
});
