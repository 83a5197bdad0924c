/**
 * /v2 push and pull against the real fs store, in process on 127.0.0.1:0: monolithic and chunked
 * uploads, manifests by tag and digest, HEAD, Range, mount, index, delete, tags pagination.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import {
  MediaType, bearer, blob, errorCode, makeImage, makeIndex, makeToken, pushBlob, pushImage, pushManifest, sha256, startTestServer,
  type TestServer,
} from './helpers.js';

const writer = makeToken('writer', 'write', ['*']);
let srv: TestServer;
const auth = bearer(writer.token);

beforeAll(async () => {
  srv = await startTestServer({ incoming: [writer.rule], anonymousRead: false });
});
afterAll(async () => {
  await srv.close();
});

describe('base endpoint', () => {
  it('answers 200 with the API version header for a known token', async () => {
    const res = await fetch(`${srv.url}/v2/`, { headers: auth });
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
  });
  it('answers 401 with a Basic challenge and UNAUTHORIZED without a token', async () => {
    const res = await fetch(`${srv.url}/v2/`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="ferry"/);
    expect(await errorCode(res)).toBe('UNAUTHORIZED');
  });
});

describe('push and pull an image', () => {
  const image = makeImage({ layers: 2, layerBytes: 50_000 });

  beforeAll(async () => {
    await pushImage(srv.url, 'apps/web', 'v1', image, auth);
  });

  it('creates the oci feed on first push', async () => {
    expect((await srv.store.feedGet('apps'))?.type).toBe('oci');
  });

  it.each([['v1'], [image.digest]])('GET manifest by %s returns the exact bytes with headers', async (ref) => {
    const res = await fetch(`${srv.url}/v2/apps/web/manifests/${ref}`, { headers: { ...auth, accept: MediaType.manifest } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(MediaType.manifest);
    expect(res.headers.get('docker-content-digest')).toBe(image.digest);
    expect(res.headers.get('content-length')).toBe(String(image.manifest.length));
    expect(Buffer.from(await res.arrayBuffer()).equals(image.manifest)).toBe(true);
  });

  it('HEAD manifest gives digest and length without a body', async () => {
    const res = await fetch(`${srv.url}/v2/apps/web/manifests/v1`, { method: 'HEAD', headers: auth });
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(image.digest);
    expect(res.headers.get('content-length')).toBe(String(image.manifest.length));
  });

  it('refuses a manifest whose type the Accept header excludes (404 MANIFEST_UNKNOWN)', async () => {
    const res = await fetch(`${srv.url}/v2/apps/web/manifests/v1`, { headers: { ...auth, accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
    expect(res.status).toBe(404);
    expect(await errorCode(res)).toBe('MANIFEST_UNKNOWN');
  });

  it('serves a blob whole and by range', async () => {
    const layer = image.layers[0]!;
    const whole = await fetch(`${srv.url}/v2/apps/web/blobs/${layer.digest}`, { headers: auth });
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await whole.arrayBuffer()).equals(layer.data)).toBe(true);

    const part = await fetch(`${srv.url}/v2/apps/web/blobs/${layer.digest}`, { headers: { ...auth, range: 'bytes=100-1099' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-1099/${layer.size}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(layer.data.subarray(100, 1100))).toBe(true);

    const tail = await fetch(`${srv.url}/v2/apps/web/blobs/${layer.digest}`, { headers: { ...auth, range: `bytes=${layer.size - 10}-` } });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(layer.data.subarray(layer.size - 10))).toBe(true);

    const outside = await fetch(`${srv.url}/v2/apps/web/blobs/${layer.digest}`, { headers: { ...auth, range: `bytes=${layer.size}-` } });
    expect(outside.status).toBe(416);
  });

  it('HEAD blob gives size and digest; an unknown blob is 404 BLOB_UNKNOWN', async () => {
    const layer = image.layers[1]!;
    const head = await fetch(`${srv.url}/v2/apps/web/blobs/${layer.digest}`, { method: 'HEAD', headers: auth });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(layer.size));
    expect(head.headers.get('docker-content-digest')).toBe(layer.digest);
    const missing = await fetch(`${srv.url}/v2/apps/web/blobs/${sha256('nope')}`, { headers: auth });
    expect(missing.status).toBe(404);
    expect(await errorCode(missing)).toBe('BLOB_UNKNOWN');
  });

  it('mounts a blob from another repository without upload', async () => {
    const layer = image.layers[0]!;
    const res = await fetch(`${srv.url}/v2/apps/other/blobs/uploads/?mount=${layer.digest}&from=apps/web`, { method: 'POST', headers: auth });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/v2/apps/other/blobs/${layer.digest}`);
    expect(res.headers.get('docker-content-digest')).toBe(layer.digest);
    const head = await fetch(`${srv.url}/v2/apps/other/blobs/${layer.digest}`, { method: 'HEAD', headers: auth });
    expect(head.status).toBe(200);
  });

  it('falls back to an upload session when the mount source lacks the blob', async () => {
    const res = await fetch(`${srv.url}/v2/apps/other/blobs/uploads/?mount=${sha256('absent')}&from=apps/web`, { method: 'POST', headers: auth });
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toMatch(/^\/v2\/apps\/other\/blobs\/uploads\/[0-9a-f-]{36}$/);
  });
});

describe('chunked upload', () => {
  const data = randomBytes(300_000);
  const digest = sha256(data);

  it('accepts chunks in order, reports status, refuses out-of-order with 416 and finishes with the digest', async () => {
    const start = await fetch(`${srv.url}/v2/apps/chunked/blobs/uploads/`, { method: 'POST', headers: auth });
    expect(start.status).toBe(202);
    let location = start.headers.get('location')!;
    const chunks = [data.subarray(0, 100_000), data.subarray(100_000, 250_000)];
    let offset = 0;
    for (const chunk of chunks) {
      const res = await fetch(`${srv.url}${location}`, {
        method: 'PATCH',
        headers: { ...auth, 'content-type': 'application/octet-stream', 'content-range': `${offset}-${offset + chunk.length - 1}` },
        body: chunk,
      });
      expect(res.status).toBe(202);
      offset += chunk.length;
      expect(res.headers.get('range')).toBe(`0-${offset - 1}`);
      location = res.headers.get('location')!;
    }
    const bad = await fetch(`${srv.url}${location}`, {
      method: 'PATCH',
      headers: { ...auth, 'content-type': 'application/octet-stream', 'content-range': `0-9` },
      body: data.subarray(0, 10),
    });
    expect(bad.status).toBe(416);
    expect(await errorCode(bad)).toBe('BLOB_UPLOAD_INVALID');

    const status = await fetch(`${srv.url}${location}`, { headers: auth });
    expect(status.status).toBe(204);
    expect(status.headers.get('range')).toBe(`0-${offset - 1}`);

    const wrong = await fetch(`${srv.url}${location}?digest=${sha256('other')}`, { method: 'PUT', headers: auth });
    expect(wrong.status).toBe(400);
    expect(await errorCode(wrong)).toBe('DIGEST_INVALID');

    const done = await fetch(`${srv.url}${location}?digest=${digest}`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      body: data.subarray(250_000),
    });
    expect(done.status).toBe(201);
    expect(done.headers.get('docker-content-digest')).toBe(digest);
    const back = await fetch(`${srv.url}/v2/apps/chunked/blobs/${digest}`, { headers: auth });
    expect(Buffer.from(await back.arrayBuffer()).equals(data)).toBe(true);

    const gone = await fetch(`${srv.url}${location}`, { headers: auth });
    expect(gone.status).toBe(404);
    expect(await errorCode(gone)).toBe('BLOB_UPLOAD_UNKNOWN');
  });

  it('cancels an upload with DELETE', async () => {
    const start = await fetch(`${srv.url}/v2/apps/chunked/blobs/uploads/`, { method: 'POST', headers: auth });
    const location = start.headers.get('location')!;
    expect((await fetch(`${srv.url}${location}`, { method: 'DELETE', headers: auth })).status).toBe(204);
    expect((await fetch(`${srv.url}${location}`, { headers: auth })).status).toBe(404);
  });

  it('refuses a monolithic upload whose body does not match the digest', async () => {
    const res = await pushBlob(srv.url, 'apps/chunked', { ...blob(Buffer.from('abc'), 'x'), digest: sha256('abd') }, auth);
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('DIGEST_INVALID');
  });
});

describe('index, tags, delete', () => {
  const amd = makeImage({ arch: 'amd64' });
  const arm = makeImage({ arch: 'arm64' });
  const index = makeIndex([amd, arm], ['amd64', 'arm64']);

  it('refuses an index whose child manifests are missing (MANIFEST_BLOB_UNKNOWN)', async () => {
    const res = await pushManifest(srv.url, 'apps/multi', 'latest', index, MediaType.index, auth);
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('MANIFEST_BLOB_UNKNOWN');
  });

  it('accepts an index after its children and serves it by tag', async () => {
    await pushImage(srv.url, 'apps/multi', amd.digest, amd, auth);
    await pushImage(srv.url, 'apps/multi', arm.digest, arm, auth);
    const res = await pushManifest(srv.url, 'apps/multi', 'latest', index, MediaType.index, auth);
    expect(res.status).toBe(201);
    expect(res.headers.get('docker-content-digest')).toBe(sha256(index));
    const get = await fetch(`${srv.url}/v2/apps/multi/manifests/latest`, { headers: { ...auth, accept: `${MediaType.manifest}, ${MediaType.index}` } });
    expect(get.headers.get('content-type')).toBe(MediaType.index);
    expect(Buffer.from(await get.arrayBuffer()).equals(index)).toBe(true);
  });

  it('paginates tags with n/last and a Link header', async () => {
    const image = makeImage({ layers: 1, layerBytes: 100 });
    for (const tag of ['a', 'b', 'c', 'd', 'e']) await pushImage(srv.url, 'apps/tags', tag, image, auth);
    const first = await fetch(`${srv.url}/v2/apps/tags/tags/list?n=2`, { headers: auth });
    expect(await first.json()).toEqual({ name: 'apps/tags', tags: ['a', 'b'] });
    expect(first.headers.get('link')).toBe('</v2/apps/tags/tags/list?n=2&last=b>; rel="next"');
    const second = await fetch(`${srv.url}/v2/apps/tags/tags/list?n=2&last=b`, { headers: auth });
    expect(((await second.json()) as { tags: string[] }).tags).toEqual(['c', 'd']);
    const all = await fetch(`${srv.url}/v2/apps/tags/tags/list`, { headers: auth });
    expect(((await all.json()) as { tags: string[] }).tags).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(all.headers.get('link')).toBeNull();
    const unknown = await fetch(`${srv.url}/v2/apps/nothing/tags/list`, { headers: auth });
    expect(unknown.status).toBe(404);
    expect(await errorCode(unknown)).toBe('NAME_UNKNOWN');
  });

  it('deletes a tag and a manifest by digest', async () => {
    const image = makeImage({ layers: 1, layerBytes: 100 });
    await pushImage(srv.url, 'apps/del', 'one', image, auth);
    await pushImage(srv.url, 'apps/del', 'two', image, auth);
    expect((await fetch(`${srv.url}/v2/apps/del/manifests/one`, { method: 'DELETE', headers: auth })).status).toBe(202);
    expect((await fetch(`${srv.url}/v2/apps/del/manifests/one`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${srv.url}/v2/apps/del/manifests/two`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${srv.url}/v2/apps/del/manifests/${image.digest}`, { method: 'DELETE', headers: auth })).status).toBe(202);
    const gone = await fetch(`${srv.url}/v2/apps/del/manifests/two`, { headers: auth });
    expect(gone.status).toBe(404);
    expect(await errorCode(gone)).toBe('MANIFEST_UNKNOWN');
    const blobDelete = await fetch(`${srv.url}/v2/apps/del/blobs/${image.config.digest}`, { method: 'DELETE', headers: auth });
    expect(blobDelete.status).toBe(405);
    expect(await errorCode(blobDelete)).toBe('UNSUPPORTED');
  });
});
