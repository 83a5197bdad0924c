/**
 * `ferry serve --tls-cert/--tls-key` with a self-signed certificate made by openssl: skopeo
 * pushes and reads over HTTPS when given the certificate (`--dest-cert-dir`/`--cert-dir`) and
 * refuses the server without it (verification stays on). Also: `--listen` and TLS flag errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { MediaType, makeImage, makeToken, sha256 } from './helpers.js';
import { run, spawnServe, writeLayout, type ServeProcess } from './processes.js';
import { selfSignedCert } from '../helpers/tls-cert.js';

const writer = makeToken('writer', 'write', ['*']);
const image = makeImage({ layers: 2 });
let dir: string;
let certDir: string;
let serve: ServeProcess;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-serve-tls-'));
  certDir = join(dir, 'certs');
  await mkdir(certDir);
  const { keyFile: key, certFile: cert } = await selfSignedCert(dir);
  // containers/image trusts `*.crt` files of a cert dir as CAs; a self-signed cert is its own CA.
  await copyFile(cert, join(certDir, 'ca.crt'));
  await writeLayout(join(dir, 'layout'), [{ ref: 'v1', mediaType: MediaType.manifest, manifest: image.manifest }], [image.config, ...image.layers]);
  const incoming = join(dir, 'incoming.yaml');
  await writeFile(incoming, stringify([writer.rule]));
  env = { ...process.env, HOME: dir, XDG_RUNTIME_DIR: dir, TMPDIR: dir };
  serve = await spawnServe(['--data', join(dir, 'data'), '--listen', '127.0.0.1:0', '--incoming', incoming, '--tls-cert', cert, '--tls-key', key]);
});

afterAll(async () => {
  if (serve) expect(await serve.stop()).toBe(0);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('ferry serve over TLS', () => {
  it('serves skopeo over HTTPS with the certificate trusted', async () => {
    const ref = `docker://${serve.host}/apps/tls:v1`;
    const push = await run('skopeo', ['copy', '--dest-cert-dir', certDir, '--dest-creds', `x:${writer.token}`, `oci:${join(dir, 'layout')}:v1`, ref], env);
    expect(push.code, push.stderr).toBe(0);
    const raw = await run('skopeo', ['inspect', '--raw', '--cert-dir', certDir, '--creds', `x:${writer.token}`, ref], env);
    expect(raw.code, raw.stderr).toBe(0);
    expect(sha256(raw.stdout)).toBe(image.digest);
  });

  it('is refused by a verifying client without the certificate', async () => {
    const raw = await run('skopeo', ['inspect', '--raw', '--creds', `x:${writer.token}`, `docker://${serve.host}/apps/tls:v1`], env);
    expect(raw.code).not.toBe(0);
    expect(raw.stderr).toMatch(/certificate/i);
  });
});

describe('ferry serve usage errors', () => {
  const bin = resolve(import.meta.dirname, '../../bin/ferry.js');
  it.each([
    ['a bad --listen', ['--listen', 'nowhere']],
    ['--tls-cert without --tls-key', ['--listen', '127.0.0.1:0', '--tls-cert', '/nonexistent']],
  ])('exits 2 on %s', async (_label, args) => {
    const res = await run(process.execPath, [bin, 'serve', '--data', join(dir, 'unused'), ...args]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/USAGE/);
  });

  it('exits 1 with AUTH_RULES_INVALID on an invalid incoming file', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, stringify([{ name: 'x', tokenSha256: 'not-a-hash', access: 'admin', feeds: [] }]));
    const res = await run(process.execPath, [bin, 'serve', '--data', join(dir, 'unused'), '--listen', '127.0.0.1:0', '--incoming', bad]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/AUTH_RULES_INVALID/);
  });
});
