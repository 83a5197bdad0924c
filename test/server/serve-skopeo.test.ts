/**
 * `ferry serve` (spawned, real fs store) with the real skopeo client: push an image and a
 * multi-arch index with `--dest-creds anything:TOKEN`, pull them back, `inspect --raw`,
 * `list-tags`; digests identical end to end; wrong and read-only tokens refused with the spec's
 * errors; SIGHUP reloads the incoming rules (anonymousRead); SIGTERM exits 0.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { MediaType, basic, errorCode, makeImage, makeIndex, makeToken, sha256 } from './helpers.js';
import { run, spawnServe, writeLayout, type ServeProcess } from './processes.js';

const writer = makeToken('writer', 'write', ['*']);
const reader = makeToken('reader', 'read', ['*']);
const single = makeImage({ layers: 3, layerBytes: 200_000 });
const amd = makeImage({ arch: 'amd64' });
const arm = makeImage({ arch: 'arm64' });
const index = makeIndex([amd, arm], ['amd64', 'arm64']);

let dir: string;
let layout: string;
let incoming: string;
let serve: ServeProcess;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-serve-skopeo-'));
  layout = join(dir, 'layout');
  incoming = join(dir, 'incoming.yaml');
  await writeLayout(
    layout,
    [
      { ref: 'v1', mediaType: MediaType.manifest, manifest: single.manifest },
      { ref: 'multi', mediaType: MediaType.index, manifest: index },
      { ref: 'amd', mediaType: MediaType.manifest, manifest: amd.manifest },
      { ref: 'arm', mediaType: MediaType.manifest, manifest: arm.manifest },
    ],
    [single, amd, arm].flatMap((img) => [img.config, ...img.layers]),
  );
  await writeFile(incoming, stringify([writer.rule, reader.rule]));
  // A private HOME/TMPDIR so skopeo reads no auth file or registries.conf of the machine user.
  env = { ...process.env, HOME: dir, XDG_RUNTIME_DIR: dir, TMPDIR: dir };
  serve = await spawnServe(['--data', join(dir, 'data'), '--listen', '127.0.0.1:0', '--incoming', incoming]);
});

afterAll(async () => {
  if (serve) expect(await serve.stop()).toBe(0);
  if (dir) await rm(dir, { recursive: true, force: true });
});

const skopeo = (args: string[]) => run('skopeo', args, env);
const ref = (repo: string) => `docker://${serve.host}/${repo}`;

describe('skopeo against ferry serve', () => {
  it('pushes an image with --dest-creds and reads it back byte-identical', async () => {
    const push = await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', `anything:${writer.token}`, `oci:${layout}:v1`, ref('apps/web:v1')]);
    expect(push.stderr).not.toContain(writer.token);
    expect(push.code, push.stderr).toBe(0);

    const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', '--creds', `u:${reader.token}`, ref('apps/web:v1')]);
    expect(raw.code, raw.stderr).toBe(0);
    expect(sha256(raw.stdout)).toBe(single.digest);

    const out = join(dir, 'pulled-web');
    const pull = await skopeo(['copy', '--src-tls-verify=false', '--src-creds', `u:${reader.token}`, ref('apps/web:v1'), `oci:${out}:v1`]);
    expect(pull.code, pull.stderr).toBe(0);
    const pulled = new Set(await readdir(join(out, 'blobs', 'sha256')));
    for (const b of [single.config, ...single.layers]) expect(pulled.has(b.digest.slice(7))).toBe(true);
    expect(pulled.has(single.digest.slice(7))).toBe(true);
  });

  it('pushes a multi-arch index with --all and pulls it back with the same digests', async () => {
    const push = await skopeo(['copy', '--all', '--dest-tls-verify=false', '--dest-creds', `anything:${writer.token}`, `oci:${layout}:multi`, ref('apps/multi:latest')]);
    expect(push.code, push.stderr).toBe(0);
    const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', '--creds', `u:${reader.token}`, ref('apps/multi:latest')]);
    expect(raw.code, raw.stderr).toBe(0);
    expect(sha256(raw.stdout)).toBe(sha256(index));

    const out = join(dir, 'pulled-multi');
    const pull = await skopeo(['copy', '--all', '--src-tls-verify=false', '--src-creds', `u:${reader.token}`, ref('apps/multi:latest'), `oci:${out}:multi`]);
    expect(pull.code, pull.stderr).toBe(0);
    const pulledIndex = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    expect(pulledIndex.manifests[0]?.digest).toBe(sha256(index));
    const pulled = new Set(await readdir(join(out, 'blobs', 'sha256')));
    for (const img of [amd, arm]) {
      expect(pulled.has(img.digest.slice(7))).toBe(true);
      for (const b of [img.config, ...img.layers]) expect(pulled.has(b.digest.slice(7))).toBe(true);
    }
  });

  it('lists tags', async () => {
    await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', `x:${writer.token}`, `oci:${layout}:amd`, ref('apps/web:amd')]);
    const tags = await skopeo(['list-tags', '--tls-verify=false', '--creds', `u:${reader.token}`, ref('apps/web')]);
    expect(tags.code, tags.stderr).toBe(0);
    expect((JSON.parse(tags.stdout.toString()) as { Tags: string[] }).Tags.sort()).toEqual(['amd', 'v1']);
  });

  it('refuses a wrong token (401 UNAUTHORIZED) and a read-only push (403 DENIED)', async () => {
    const wrong = await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', 'x:ferry_not-a-known-token', `oci:${layout}:v1`, ref('apps/wrong:v1')]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/unauthorized/i);
    const readOnly = await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', `x:${reader.token}`, `oci:${layout}:v1`, ref('apps/ro:v1')]);
    expect(readOnly.code).not.toBe(0);
    expect(readOnly.stderr).toMatch(/denied/i);
    expect(readOnly.stderr).not.toContain(reader.token);

    const res401 = await fetch(`http://${serve.host}/v2/apps/web/manifests/v1`, { headers: basic('ferry_not-a-known-token') });
    expect(res401.status).toBe(401);
    expect(await errorCode(res401)).toBe('UNAUTHORIZED');
    const res403 = await fetch(`http://${serve.host}/v2/apps/ro/blobs/uploads/`, { method: 'POST', headers: basic(reader.token) });
    expect(res403.status).toBe(403);
    expect(await errorCode(res403)).toBe('DENIED');
  });

  it('reloads the incoming rules on SIGHUP: anonymousRead lets skopeo read without credentials', async () => {
    const before = await skopeo(['inspect', '--raw', '--tls-verify=false', '--no-creds', ref('apps/web:v1')]);
    expect(before.code).not.toBe(0);
    await writeFile(incoming, stringify({ anonymousRead: true, incoming: [writer.rule, reader.rule] }));
    serve.child.kill('SIGHUP');
    await waitFor(() => serve.stderr().includes('incoming rules reloaded'));
    const after = await skopeo(['inspect', '--raw', '--tls-verify=false', '--no-creds', ref('apps/web:v1')]);
    expect(after.code, after.stderr).toBe(0);
    expect(sha256(after.stdout)).toBe(single.digest);

    // An invalid file is refused and the rules in force stay.
    await writeFile(incoming, 'incoming: [{name: BAD}]\n');
    serve.child.kill('SIGHUP');
    await waitFor(() => serve.stderr().includes('keeping the previous rules'));
    const still = await skopeo(['inspect', '--raw', '--tls-verify=false', '--no-creds', ref('apps/web:v1')]);
    expect(still.code, still.stderr).toBe(0);
  });

  it('logs who made each request by rule name and hash hint, never the token', () => {
    for (const t of [writer.token, reader.token]) expect(serve.stderr()).not.toContain(t);
    expect(serve.stderr()).toContain('"rules":["writer"]');
    expect(serve.stderr()).toContain('"rules":["reader"]');
  });
});

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
