/**
 * /v2 authorisation and the spec's error envelope: tokens as Bearer or Basic password, read vs
 * write rules with feed globs, anonymousRead, hot-swapped rules, catalog filtering, and the error
 * codes for bad names, digests, tags and oversized or invalid manifests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MediaType, basic, bearer, errorCode, makeImage, makeToken, pushBlob, pushImage, pushManifest, sha256, startTestServer, blob,
  type TestServer,
} from './helpers.js';

const admin = makeToken('admin', 'write', ['*']);
const reader = makeToken('reader', 'read', ['apps', 'tools-*']);
const toolsWriter = makeToken('tools-writer', 'write', ['tools-*']);
let srv: TestServer;
const baseAuth = { incoming: [admin.rule, reader.rule, toolsWriter.rule], anonymousRead: false };

beforeAll(async () => {
  srv = await startTestServer(baseAuth);
  await pushImage(srv.url, 'apps/web', 'v1', makeImage({ layers: 1 }), bearer(admin.token));
  await pushImage(srv.url, 'secret/db', 'v1', makeImage({ layers: 1 }), bearer(admin.token));
  await pushImage(srv.url, 'tools-a/cli', 'v1', makeImage({ layers: 1 }), bearer(admin.token));
});
afterAll(async () => {
  await srv.close();
});

describe('tokens and rules', () => {
  it.each([
    ['Bearer', bearer(reader.token)],
    ['Basic password, any user', basic(reader.token, 'whoever')],
  ])('a read token as %s reads its feeds', async (_label, headers) => {
    const res = await fetch(`${srv.url}/v2/apps/web/manifests/v1`, { headers });
    expect(res.status).toBe(200);
  });

  it.each([
    ['no token', {}, 401, 'UNAUTHORIZED'],
    ['a wrong token', bearer('ferry_wrongwrongwrongwrongwrongwrongwrongwrong1'), 401, 'UNAUTHORIZED'],
    ['an empty Basic password', basic(''), 401, 'UNAUTHORIZED'],
    ['a token without the feed', bearer(reader.token), 403, 'DENIED'],
  ])('reading another feed with %s is refused', async (_label, headers, status, code) => {
    const res = await fetch(`${srv.url}/v2/secret/db/manifests/v1`, { headers: headers as Record<string, string> });
    expect(res.status).toBe(status);
    expect(await errorCode(res)).toBe(code);
    if (status === 401) expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
  });

  it('a read token cannot push (403 DENIED), a write token of other feeds neither', async () => {
    const image = makeImage({ layers: 1 });
    const asReader = await pushBlob(srv.url, 'apps/web', image.config, bearer(reader.token));
    expect(asReader.status).toBe(403);
    expect(await errorCode(asReader)).toBe('DENIED');
    const asTools = await pushManifest(srv.url, 'apps/web', 'v2', image.manifest, MediaType.manifest, bearer(toolsWriter.token));
    expect(asTools.status).toBe(403);
  });

  it('a write token pushes to the feeds its globs open, and write implies read', async () => {
    const image = makeImage({ layers: 1 });
    await pushImage(srv.url, 'tools-b/x', 'v1', image, bearer(toolsWriter.token));
    const res = await fetch(`${srv.url}/v2/tools-b/x/manifests/v1`, { headers: bearer(toolsWriter.token) });
    expect(res.status).toBe(200);
  });

  it('the catalog lists only what the token can read', async () => {
    const res = await fetch(`${srv.url}/v2/_catalog`, { headers: bearer(reader.token) });
    const { repositories } = (await res.json()) as { repositories: string[] };
    expect(repositories).toContain('apps/web');
    expect(repositories).toContain('tools-a/cli');
    expect(repositories).not.toContain('secret/db');
    const all = (await (await fetch(`${srv.url}/v2/_catalog?n=1`, { headers: bearer(admin.token) })).json()) as { repositories: string[] };
    expect(all.repositories).toHaveLength(1);
    expect((await fetch(`${srv.url}/v2/_catalog`)).status).toBe(401);
  });

  it('rules are hot-swapped: a removed rule stops working at once, anonymousRead opens reads', async () => {
    srv.auth.set({ incoming: [admin.rule], anonymousRead: true });
    try {
      const gone = await fetch(`${srv.url}/v2/apps/web/manifests/v1`, { headers: bearer(reader.token) });
      expect(gone.status).toBe(401);
      const anonymous = await fetch(`${srv.url}/v2/secret/db/manifests/v1`);
      expect(anonymous.status).toBe(200);
      const base = await fetch(`${srv.url}/v2/`);
      expect(base.status).toBe(200);
      expect(base.headers.get('www-authenticate')).toMatch(/^Basic/);
      const anonymousPush = await pushBlob(srv.url, 'apps/web', blob(Buffer.from('x'), 'x'), {});
      expect(anonymousPush.status).toBe(401);
    } finally {
      srv.auth.set(baseAuth);
    }
  });

  it('never writes the token into a response', async () => {
    const res = await fetch(`${srv.url}/v2/secret/db/manifests/v1`, { headers: bearer(reader.token) });
    expect(await res.text()).not.toContain(reader.token);
  });
});

describe('error envelope for bad input', () => {
  const auth = bearer(admin.token);

  it.each([
    ['upper case', 'apps/Web'],
    ['no repository part', 'apps'],
    ['bad separator', 'apps/web..x'],
    ['feed not a DNS label', 'a_b/web'],
  ])('an invalid name (%s) is 400 NAME_INVALID', async (_label, name) => {
    const res = await fetch(`${srv.url}/v2/${name}/manifests/v1`, { headers: auth });
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('NAME_INVALID');
  });

  it('an unknown feed is 404 NAME_UNKNOWN for reads', async () => {
    const res = await fetch(`${srv.url}/v2/nofeed/web/manifests/v1`, { headers: auth });
    expect(res.status).toBe(404);
    expect(await errorCode(res)).toBe('NAME_UNKNOWN');
  });

  it.each([['sha256:abc'], ['md5:' + 'a'.repeat(32)], ['sha256:' + 'A'.repeat(64)]])('digest %s is 400 DIGEST_INVALID', async (digest) => {
    const res = await fetch(`${srv.url}/v2/apps/web/blobs/${digest}`, { headers: auth });
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('DIGEST_INVALID');
  });

  it('a manifest over 4 MiB is refused with 413 before it is read whole', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024 + 1, 0x20);
    const res = await pushManifest(srv.url, 'apps/web', 'big', big, MediaType.manifest, auth);
    expect(res.status).toBe(413);
    expect(await errorCode(res)).toBe('SIZE_INVALID');
  });

  it.each([
    ['not JSON', Buffer.from('{nope'), MediaType.manifest],
    ['schema1', Buffer.from('{"schemaVersion":1}'), 'application/vnd.docker.distribution.manifest.v1+prettyjws'],
    ['mediaType mismatch', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.index, manifests: [] })), MediaType.manifest],
    ['missing layers', Buffer.from(JSON.stringify({ schemaVersion: 2, config: { mediaType: 'x', digest: sha256('x'), size: 1 } })), MediaType.manifest],
  ])('an invalid manifest (%s) is 400 MANIFEST_INVALID', async (_label, body, type) => {
    const res = await pushManifest(srv.url, 'apps/web', 'bad', body, type, auth);
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('MANIFEST_INVALID');
  });

  it('a manifest referencing a missing blob is 400 MANIFEST_BLOB_UNKNOWN', async () => {
    const image = makeImage({ layers: 1 });
    const res = await pushManifest(srv.url, 'apps/web', 'orphan', image.manifest, MediaType.manifest, auth);
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('MANIFEST_BLOB_UNKNOWN');
  });

  it('a manifest pushed by a digest it does not have is 400 DIGEST_INVALID', async () => {
    const image = makeImage({ layers: 1 });
    const res = await pushManifest(srv.url, 'apps/web', sha256('other'), image.manifest, MediaType.manifest, auth);
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('DIGEST_INVALID');
  });

  it('an invalid tag on push is 400 MANIFEST_INVALID', async () => {
    const image = makeImage({ layers: 1 });
    const res = await pushManifest(srv.url, 'apps/web', '-bad', image.manifest, MediaType.manifest, auth);
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('MANIFEST_INVALID');
  });

  it('an unknown upload session is 404 BLOB_UPLOAD_UNKNOWN, also a path-like id', async () => {
    for (const id of ['0b6f9f7e-8a57-4a57-9d6b-1c6a0e3f0e55', '..%2F..%2Fetc']) {
      const res = await fetch(`${srv.url}/v2/apps/web/blobs/uploads/${id}`, { headers: auth });
      expect(res.status).toBe(404);
      expect(await errorCode(res)).toBe('BLOB_UPLOAD_UNKNOWN');
    }
  });

  it('an unknown endpoint under /v2 still answers with the envelope', async () => {
    const res = await fetch(`${srv.url}/v2/apps/web/whatever`, { headers: auth });
    expect(res.status).toBe(404);
    expect(await errorCode(res)).toBeDefined();
  });
});
