/**
 * Referrers API (OCI-Subject on push, artifactType filter), the replication API
 * (/api/v1/feeds, /api/v1/feeds/:feed/changes), /healthz, and feed view mounting.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Router } from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRegistryClient } from '../../src/oci/index.js';
import type { FeedView } from '../../src/feeds/types.js';
import {
  MediaType, bearer, blob, errorCode, sha256, makeImage, makeToken, pushBlob, pushImage, pushManifest, startTestServer, type TestServer,
} from './helpers.js';

const admin = makeToken('admin', 'write', ['*']);
const reader = makeToken('reader', 'read', ['apps']);
const auth = bearer(admin.token);

// A minimal feed view, standing in for the real ones of src/feeds/<type> (their own suites test them).
const filesView: FeedView = {
  type: 'generic',
  mount: 'files',
  createRouter: ({ authorize }) => {
    const router = Router({ mergeParams: true });
    router.get('/hello', (req, res) => {
      const feed = String((req.params as Record<string, string>).feed);
      authorize(req, feed, 'read');
      res.json({ feed });
    });
    return router;
  },
};

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer({ incoming: [admin.rule, reader.rule], anonymousRead: false }, { feedViews: [filesView] });
  await srv.store.feedEnsure('pkgs', 'generic');
  await srv.store.feedEnsure('debs', 'debian');
});
afterAll(async () => {
  await srv.close();
});

describe('referrers', () => {
  const subject = makeImage({ layers: 1 });
  const empty = blob(Buffer.from('{}'), MediaType.empty);

  beforeAll(async () => {
    await pushImage(srv.url, 'apps/signed', 'v1', subject, auth);
    expect((await pushBlob(srv.url, 'apps/signed', empty, auth)).status).toBe(201);
  });

  function artifact(artifactType: string): Buffer {
    const layer = blob(Buffer.from(`${artifactType} payload`), 'application/octet-stream');
    return Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.manifest,
        artifactType,
        config: { mediaType: MediaType.empty, digest: empty.digest, size: empty.size },
        layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }],
        subject: { mediaType: MediaType.manifest, digest: subject.digest, size: subject.manifest.length },
      }),
    );
  }

  it('lists pushed referrers, filters by artifactType and says so', async () => {
    const types = ['application/vnd.example.sbom', 'application/vnd.example.signature'];
    for (const type of types) {
      const body = artifact(type);
      const layer = JSON.parse(body.toString()).layers[0];
      expect((await pushBlob(srv.url, 'apps/signed', blob(Buffer.from(`${type} payload`), layer.mediaType), auth)).status).toBe(201);
      const res = await pushManifest(srv.url, 'apps/signed', sha256(body), body, MediaType.manifest, auth);
      expect(res.status).toBe(201);
      expect(res.headers.get('oci-subject')).toBe(subject.digest);
    }
    const all = await fetch(`${srv.url}/v2/apps/signed/referrers/${subject.digest}`, { headers: auth });
    expect(all.status).toBe(200);
    expect(all.headers.get('content-type')).toBe(MediaType.index);
    const index = (await all.json()) as { mediaType: string; manifests: Array<{ artifactType?: string }> };
    expect(index.mediaType).toBe(MediaType.index);
    expect(index.manifests.map((m) => m.artifactType).sort()).toEqual(types);

    const filtered = await fetch(`${srv.url}/v2/apps/signed/referrers/${subject.digest}?artifactType=${encodeURIComponent(types[0]!)}`, { headers: auth });
    expect(filtered.headers.get('oci-filters-applied')).toBe('artifactType');
    const only = (await filtered.json()) as { manifests: Array<{ artifactType?: string }> };
    expect(only.manifests.map((m) => m.artifactType)).toEqual([types[0]]);
  });

  it('pages referrers with a Link the client follows', async () => {
    for (const type of ['a', 'b', 'c'].map((x) => `application/vnd.example.${x}`)) {
      const body = artifact(type);
      const layer = JSON.parse(body.toString()).layers[0];
      await pushBlob(srv.url, 'apps/signed', blob(Buffer.from(`${type} payload`), layer.mediaType), auth);
      expect((await pushManifest(srv.url, 'apps/signed', sha256(body), body, MediaType.manifest, auth)).status).toBe(201);
    }
    // The server: pages of n by digest, each with a Link to the next, the last without one.
    const seen: string[] = [];
    let url: string | undefined = `${srv.url}/v2/apps/signed/referrers/${subject.digest}?n=2`;
    let pages = 0;
    while (url) {
      const res = await fetch(url, { headers: auth });
      const page = (await res.json()) as { manifests: Array<{ digest: string }> };
      expect(page.manifests.length).toBeLessThanOrEqual(2);
      seen.push(...page.manifests.map((m) => m.digest));
      const link = res.headers.get('link');
      url = link ? new URL(/<([^>]+)>/.exec(link)![1]!, srv.url).toString() : undefined;
      pages++;
    }
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(5);
    expect([...seen].sort()).toEqual(seen);

    // The client, through a proxy that makes the server's pages 2 long (as another registry might).
    const proxy = http.createServer((req, res) => {
      const target = new URL(req.url ?? '/', srv.url);
      if (target.pathname.includes('/referrers/') && !target.searchParams.has('n')) target.searchParams.set('n', '2');
      const forward = http.request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      req.pipe(forward);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const requests: string[] = [];
    const client = createRegistryClient({ registry: `127.0.0.1:${(proxy.address() as AddressInfo).port}`, auth: { token: admin.token }, onRequest: (_m, u) => requests.push(u) });
    try {
      const listed = await client.referrers('apps/signed', subject.digest);
      expect(listed.map((d) => d.digest).sort()).toEqual([...seen].sort());
      expect(requests.filter((u) => u.includes('/referrers/')).length).toBeGreaterThanOrEqual(3);
      const sboms = await client.referrers('apps/signed', subject.digest, { artifactType: 'application/vnd.example.sbom' });
      expect(sboms.map((d) => d.artifactType)).toEqual(['application/vnd.example.sbom']);
    } finally {
      client.close();
      proxy.closeAllConnections();
      await new Promise((r) => proxy.close(r));
    }
  });

  it('answers an empty index for a subject without referrers, and DIGEST_INVALID for a bad digest', async () => {
    const none = await fetch(`${srv.url}/v2/apps/signed/referrers/${subject.config.digest}`, { headers: auth });
    expect(((await none.json()) as { manifests: unknown[] }).manifests).toEqual([]);
    const bad = await fetch(`${srv.url}/v2/apps/signed/referrers/sha256:xyz`, { headers: auth });
    expect(bad.status).toBe(400);
    expect(await errorCode(bad)).toBe('DIGEST_INVALID');
  });
});

describe('replication API', () => {
  it('lists the feeds the token can read', async () => {
    const res = await fetch(`${srv.url}/api/v1/feeds`, { headers: bearer(reader.token) });
    const { feeds } = (await res.json()) as { feeds: Array<{ name: string; type: string }> };
    expect(feeds.map((f) => f.name)).toEqual(['apps']);
    expect((await fetch(`${srv.url}/api/v1/feeds`)).status).toBe(401);
  });

  it('pages the change log with since/limit', async () => {
    const image = makeImage({ layers: 1 });
    await pushImage(srv.url, 'apps/changes', 'one', image, auth);
    await pushImage(srv.url, 'apps/changes', 'two', image, auth);
    const first = (await (await fetch(`${srv.url}/api/v1/feeds/apps/changes?since=0&limit=2`, { headers: bearer(reader.token) })).json()) as {
      changes: Array<{ seq: number; op: string; repository: string }>;
      last: number;
    };
    expect(first.changes).toHaveLength(2);
    expect(first.last).toBeGreaterThanOrEqual(first.changes[1]!.seq);
    const rest = (await (await fetch(`${srv.url}/api/v1/feeds/apps/changes?since=${first.changes[1]!.seq}`, { headers: bearer(reader.token) })).json()) as {
      changes: Array<{ seq: number; op: string; repository: string; tag?: string }>;
      last: number;
    };
    expect(rest.changes.every((c) => c.seq > first.changes[1]!.seq)).toBe(true);
    expect(rest.changes.some((c) => c.repository === 'apps/changes' && c.tag === 'two')).toBe(true);
    const idle = (await (await fetch(`${srv.url}/api/v1/feeds/apps/changes?since=${rest.last}`, { headers: bearer(reader.token) })).json()) as {
      changes: unknown[];
      last: number;
    };
    expect(idle).toEqual({ changes: [], last: rest.last });
  });

  it.each([
    ['another feed', '/api/v1/feeds/pkgs/changes', bearer(reader.token), 403, 'AUTH_DENIED'],
    ['no token', '/api/v1/feeds/apps/changes', {}, 401, 'AUTH_UNAUTHORIZED'],
    ['an unknown feed', '/api/v1/feeds/nothing/changes', auth, 404, 'SERVER_NAME_UNKNOWN'],
    ['a bad since', '/api/v1/feeds/apps/changes?since=-1', auth, 400, 'SERVER_BAD_REQUEST'],
  ])('changes of %s is refused', async (_label, path, headers, status, code) => {
    const res = await fetch(`${srv.url}${path}`, { headers: headers as Record<string, string> });
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
  });

  it('/healthz answers without a token', async () => {
    const res = await fetch(`${srv.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });
});

describe('feed views', () => {
  it('mounts a view for feeds of its type only', async () => {
    const ok = await fetch(`${srv.url}/feeds/pkgs/files/hello`, { headers: auth });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ feed: 'pkgs' });
    expect((await fetch(`${srv.url}/feeds/debs/files/hello`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${srv.url}/feeds/nothing/files/hello`, { headers: auth })).status).toBe(404);
  });

  it('gives views an authorize that throws the auth codes', async () => {
    const res = await fetch(`${srv.url}/feeds/pkgs/files/hello`, { headers: bearer(reader.token) });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('AUTH_DENIED');
    const anon = await fetch(`${srv.url}/feeds/pkgs/files/hello`);
    expect(anon.status).toBe(401);
    expect(anon.headers.get('www-authenticate')).toMatch(/^Basic/);
  });

  it('hides retired feeds', async () => {
    await srv.store.feedEnsure('old', 'generic');
    await srv.store.feedRetire('old');
    expect((await fetch(`${srv.url}/feeds/old/files/hello`, { headers: auth })).status).toBe(404);
  });
});
