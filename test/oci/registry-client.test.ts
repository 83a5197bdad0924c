/** RegistryClient details against a real docker-registry: catalog pagination, deletes, request counts. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { pushBuilt, randomImage } from '../helpers/oci-content.js';
import { copy, createRegistryClient, OciErrorCode, type RegistryClient } from '../../src/oci/index.js';
import { isFerryError } from '../../src/errors/index.js';

describe('RegistryClient', () => {
  let registry: RunningRegistry;
  let client: RegistryClient;
  const requests: Array<{ method: string; url: string; status: number }> = [];

  beforeAll(async () => {
    registry = await startRegistry();
    client = createRegistryClient({ registry: registry.host, onRequest: (method, url, status) => requests.push({ method, url, status }) });
  });
  afterAll(async () => {
    client?.close();
    await registry?.stop();
  });

  it('pings and pages through the catalog with Link', async () => {
    await client.ping();
    for (const name of ['cat/a', 'cat/b', 'cat/c']) await pushBuilt(client, name, randomImage({ layers: [100] }), 'v1');
    const seen: string[] = [];
    let last: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await client.catalog({ n: 1, ...(last ? { last } : {}) });
      seen.push(...page.repositories);
      if (!page.next) break;
      last = page.next;
    }
    expect(seen).toEqual(['cat/a', 'cat/b', 'cat/c']);
  });

  it('deletes manifests and blobs', async () => {
    const image = randomImage({ layers: [300] });
    await pushBuilt(client, 'del/img', image, 'v1');
    expect(await client.manifestDelete('del/img', image.descriptor.digest)).toBe(true);
    expect(await client.manifestHead('del/img', image.descriptor.digest)).toBeUndefined();
    expect(await client.manifestDelete('del/img', image.descriptor.digest)).toBe(false);
    const layer = image.blobs[1]!.descriptor.digest;
    expect(await client.blobDelete('del/img', layer)).toBe(true);
    expect(await client.blobHead('del/img', layer)).toBeUndefined();
    const err = await client.blobGet('del/img', layer).catch((e: unknown) => e);
    expect(isFerryError(err, OciErrorCode.blobUnknown)).toBe(true);
  });

  it('a no-change copy costs only HEAD requests on the destination and one manifest GET on the source', async () => {
    const image = randomImage({ layers: [1000, 2000, 3000] });
    await pushBuilt(client, 'noop/src', image, 'v1');
    await copy(client, { repository: 'noop/src', reference: 'v1' }, client, { repository: 'noop/dst', reference: 'v1' });
    requests.length = 0;
    const again = await copy(client, { repository: 'noop/src', reference: 'v1' }, client, { repository: 'noop/dst', reference: 'v1' });
    expect(again.manifests + again.blobs + again.bytesTransferred).toBe(0);
    expect(requests.filter((r) => r.method !== 'HEAD').map((r) => r.method)).toEqual(['GET']);
    expect(requests.length).toBeLessThanOrEqual(3);
  });

  it('sends explicit manifest Accept types (distribution 404s on */*)', async () => {
    const image = randomImage({ docker: true, layers: [10] });
    await pushBuilt(client, 'docker/img', image, 'v1');
    const got = await client.manifestGet('docker/img', 'v1');
    expect(got.descriptor.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(got.descriptor.digest).toBe(image.descriptor.digest);
  });
});
