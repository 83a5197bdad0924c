/**
 * https: a TLS front (Node https with an openssl self-signed certificate for 127.0.0.1) before a
 * real docker-registry. Untrusted certificates fail with OCI_TLS; `ca` / `--ca-file` trusts them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { selfSignedCert } from '../helpers/tls-cert.js';
import { pushBuilt, randomImage } from '../helpers/oci-content.js';
import { createRegistryClient, OciErrorCode } from '../../src/oci/index.js';
import { isFerryError } from '../../src/errors/index.js';

const FERRY = resolve(import.meta.dirname, '../../bin/ferry.js');

describe('registry client over https', () => {
  let dir: string;
  let registry: RunningRegistry;
  let server: https.Server;
  let host: string;
  let certFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-oci-tls-'));
    const made = await selfSignedCert(dir);
    certFile = made.certFile;
    registry = await startRegistry();
    const [upHost, upPort] = registry.host.split(':');
    server = https.createServer({ key: made.key, cert: made.cert }, (req, res) => {
      // As a TLS-terminating proxy does: tell the registry the scheme so its Location URLs are https.
      const headers = { ...req.headers, 'x-forwarded-proto': 'https' };
      const forward = http.request({ host: upHost, port: Number(upPort), method: req.method, path: req.url, headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      forward.on('error', () => res.destroy());
      req.pipe(forward);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await registry?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses an untrusted certificate with OCI_TLS (next: fix)', async () => {
    const client = createRegistryClient({ registry: host, plainHttp: false, retry: { maxAttempts: 1 } });
    const err = await client.ping().catch((e: unknown) => e);
    client.close();
    expect(isFerryError(err, OciErrorCode.tls)).toBe(true);
    expect((err as { next: string }).next).toBe('fix');
  });

  it('works with the CA given, in the client and in ferry copy --ca-file', async () => {
    const client = createRegistryClient({ registry: host, plainHttp: false, ca: await readFile(certFile) });
    const image = randomImage({ layers: [4000] });
    await pushBuilt(client, 'tls/img', image, 'v1');
    expect((await client.manifestGet('tls/img', 'v1')).descriptor.digest).toBe(image.descriptor.digest);
    client.close();

    const layout = join(dir, 'layout');
    const code = await new Promise<number>((done) => {
      const child = spawn(process.execPath, [FERRY, 'copy', '--ca-file', certFile, `${host}/tls/img:v1`, `oci:${layout}`], { stdio: 'ignore' });
      child.on('close', (c) => done(c ?? -1));
    });
    expect(code).toBe(0);
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    expect(index.manifests[0]?.digest).toBe(image.descriptor.digest);
  });
});
