/**
 * Auth modes against real registries on loopback:
 * - Basic: docker-registry with an htpasswd file (htpasswd -B).
 * - Bearer token challenge flow: docker-registry's own `auth: token` needs a signing cert bundle
 *   and JWTs; instead this test puts a small token-auth front (a real HTTP server, written here)
 *   before docker-registry that implements the Docker token protocol: 401 with
 *   `WWW-Authenticate: Bearer realm,service,scope`, a token endpoint taking Basic credentials,
 *   and scope checks per request.
 * - ferry sync tokens: a front that accepts `Bearer <token>` or Basic with the token as password.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { pushBuilt, randomImage } from '../helpers/oci-content.js';
import { copy, createLayoutTarget, createRegistryClient, OciErrorCode, parseChallenge } from '../../src/oci/index.js';
import { isFerryError, type FerryError } from '../../src/errors/index.js';
import { generateToken } from '../../src/util/index.js';

const run = promisify(execFile);

interface AuthFront {
  host: string;
  tokenRequests: Array<{ scopes: string[] }>;
  stop(): Promise<void>;
}

/** `bearer`: Docker token flow with a realm; `sync`: a static ferry token as Bearer or Basic password. */
async function startAuthFront(upstream: string, mode: 'bearer' | 'sync', secret: string): Promise<AuthFront> {
  const issued = new Map<string, string[]>();
  const front: AuthFront = { host: '', tokenRequests: [], stop: async () => new Promise((r) => server.close(() => r())) };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${front.host}`);
    const auth = req.headers.authorization ?? '';
    if (mode === 'bearer' && url.pathname === '/token') {
      const scopes = url.searchParams.getAll('scope');
      front.tokenRequests.push({ scopes });
      if (auth !== `Basic ${Buffer.from(`alice:${secret}`).toString('base64')}`) return void res.writeHead(401).end();
      const token = randomBytes(16).toString('hex');
      issued.set(token, scopes);
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, expires_in: 300 }));
    }
    const match = /^\/v2\/(.+)\/(manifests|blobs|tags)\//.exec(url.pathname);
    const repo = match?.[1];
    const action = req.method === 'GET' || req.method === 'HEAD' ? 'pull' : 'push';
    let ok = false;
    if (mode === 'bearer') {
      const scopes = issued.get(auth.replace(/^Bearer /, '')) ?? [];
      ok = auth.startsWith('Bearer ') && (!repo || scopes.some((s) => s.startsWith(`repository:${repo}:`) && s.split(':')[2]?.split(',').includes(action)));
    } else {
      const basicPassword = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString().split(':').slice(1).join(':') : undefined;
      ok = auth === `Bearer ${secret}` || basicPassword === secret;
    }
    if (!ok) {
      const challenge =
        mode === 'bearer'
          ? `Bearer realm="http://${front.host}/token",service="test-registry"${repo ? `,scope="repository:${repo}:${action === 'push' ? 'pull,push' : 'pull'}"` : ''}`
          : 'Basic realm="ferry"';
      req.resume();
      return void res.writeHead(401, { 'www-authenticate': challenge, 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
    }
    const [host, port] = upstream.split(':');
    const headers = { ...req.headers };
    delete headers.authorization;
    const forward = http.request({ host, port: Number(port), method: req.method, path: req.url, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  front.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return front;
}

describe('registry client auth', () => {
  let dir: string;
  let plain: RunningRegistry;
  let basicRegistry: RunningRegistry;
  const password = `pw-${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-oci-auth-'));
    const htpasswd = join(dir, 'htpasswd');
    await run('htpasswd', ['-Bbc', htpasswd, 'alice', password]);
    [plain, basicRegistry] = await Promise.all([startRegistry(), startRegistry({ htpasswd })]);
  });
  afterAll(async () => {
    await Promise.all([plain?.stop(), basicRegistry?.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('parses WWW-Authenticate challenges', () => {
    expect(parseChallenge('Bearer realm="https://auth.example/token",service="registry",scope="repository:a/b:pull,push"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.example/token', service: 'registry', scope: 'repository:a/b:pull,push' },
    });
    expect(parseChallenge('Basic realm=ferry')).toEqual({ scheme: 'basic', params: { realm: 'ferry' } });
    expect(parseChallenge(undefined)).toBeUndefined();
  });

  it('Basic: pushes and copies with htpasswd credentials; a wrong password is OCI_UNAUTHORIZED without the secret', async () => {
    const client = createRegistryClient({ registry: basicRegistry.host, auth: { username: 'alice', password } });
    const image = randomImage({ layers: [5000] });
    await pushBuilt(client, 'basic/img', image, 'v1');
    const layout = createLayoutTarget(join(dir, 'basic-layout'));
    const r = await copy(client, { repository: 'basic/img', reference: 'v1' }, layout, { repository: '', reference: 'v1' });
    expect(r.descriptor.digest).toBe(image.descriptor.digest);
    client.close();

    const wrongSecret = 'definitely-wrong-secret';
    const wrong = createRegistryClient({ registry: basicRegistry.host, auth: { username: 'alice', password: wrongSecret } });
    const err = (await wrong.manifestGet('basic/img', 'v1').catch((e: unknown) => e)) as FerryError;
    wrong.close();
    expect(isFerryError(err, OciErrorCode.unauthorized)).toBe(true);
    expect(err.message).toContain('alice');
    expect(JSON.stringify({ m: err.message, d: err.data })).not.toContain(wrongSecret);
    const anon = createRegistryClient({ registry: basicRegistry.host });
    const err2 = await anon.ping().catch((e: unknown) => e);
    anon.close();
    expect(isFerryError(err2, OciErrorCode.unauthorized)).toBe(true);
  });

  it('Bearer: follows the token challenge, caches tokens per scope, refuses bad credentials', async () => {
    const front = await startAuthFront(plain.host, 'bearer', password);
    try {
      const client = createRegistryClient({ registry: front.host, auth: { username: 'alice', password } });
      const image = randomImage({ layers: [3000, 4000, 5000] });
      await pushBuilt(client, 'bearer/img', image, 'v1');
      const layout = createLayoutTarget(join(dir, 'bearer-layout'));
      await copy(client, { repository: 'bearer/img', reference: 'v1' }, layout, { repository: '', reference: 'v1' });
      await copy(client, { repository: 'bearer/img', reference: 'v1' }, client, { repository: 'bearer/copy', reference: 'v1' });
      expect((await client.manifestHead('bearer/copy', 'v1'))?.digest).toBe(image.descriptor.digest);
      client.close();
      // One token per scope set, not one per request (pushes: push scope; pulls: pull; mount: both).
      expect(front.tokenRequests.length).toBeLessThanOrEqual(5);

      const wrong = createRegistryClient({ registry: front.host, auth: { username: 'alice', password: 'nope-secret' } });
      const err = (await wrong.manifestGet('bearer/img', 'v1').catch((e: unknown) => e)) as FerryError;
      wrong.close();
      expect(isFerryError(err, OciErrorCode.unauthorized)).toBe(true);
      expect(JSON.stringify({ m: err.message, d: err.data })).not.toContain('nope-secret');
    } finally {
      await front.stop();
    }
  });

  it('ferry sync token: sent as Bearer, or as the Basic password when the server asks for Basic', async () => {
    const token = generateToken();
    const front = await startAuthFront(plain.host, 'sync', token);
    try {
      const client = createRegistryClient({ registry: front.host, auth: { token } });
      const image = randomImage({ layers: [2000] });
      await pushBuilt(client, 'sync/img', image, 'v1');
      expect((await client.manifestGet('sync/img', 'v1')).descriptor.digest).toBe(image.descriptor.digest);
      client.close();
      const bad = generateToken();
      const wrong = createRegistryClient({ registry: front.host, auth: { token: bad } });
      const err = (await wrong.manifestGet('sync/img', 'v1').catch((e: unknown) => e)) as FerryError;
      wrong.close();
      expect(isFerryError(err, OciErrorCode.unauthorized)).toBe(true);
      expect(JSON.stringify({ m: err.message, d: err.data })).not.toContain(bad);
      expect(err.message).toMatch(/token [0-9a-f]{8}/);
    } finally {
      await front.stop();
    }
  });
});
