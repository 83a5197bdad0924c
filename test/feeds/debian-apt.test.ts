/**
 * End to end with the real APT client: .debs built by dpkg-deb, uploaded with HTTP PUT, then
 * `apt-get update` (signature checked against the key from key.asc, dearmored with gpg),
 * `apt-cache madison`, `apt-get download` and `apt-get install --download-only`. A wrong key
 * must fail. Needs apt-get, dpkg-deb and gpg (scripts/install-test-deps.sh); fails without them.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startFeedServer, type RunningFeedServer } from '../helpers/feed-server.js';
import { apt, buildDeb, dearmor, run, setupApt } from './debian-fixtures.js';

let server: RunningFeedServer;
let work: string;
const debs: string[] = [];

async function upload(path: string, query = ''): Promise<Response> {
  return fetch(`${server.url}/feeds/apt-main/debian/upload${query}`, {
    method: 'PUT',
    headers: { authorization: bearer(server.writeToken), 'content-type': 'application/vnd.debian.binary-package' },
    body: await readFile(path),
  });
}

async function dearmorText(armored: string, out: string): Promise<void> {
  await writeFile(`${out}.asc`, armored);
  await dearmor(`${out}.asc`, out);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-apt-'));
  server = await startFeedServer({ feeds: [{ name: 'apt-main', type: 'debian' }] });
  debs.push(await buildDeb(work, { name: 'hello-ferry', version: '1.0-1', depends: 'libc6' }));
  debs.push(await buildDeb(work, { name: 'hello-ferry', version: '1.1-1', compression: 'gzip' }));
  debs.push(await buildDeb(work, { name: 'libferry1', version: '2:0.5+dfsg~rc1-3', arch: 'amd64', compression: 'zstd' }));
  // The first with the real curl -T (what publishers use), the others with fetch.
  const { stdout } = await run('curl', ['-sS', '--fail-with-body', '-H', `Authorization: Bearer ${server.writeToken}`, '-T', debs[0] as string, `${server.url}/feeds/apt-main/debian/upload`]);
  expect(JSON.parse(stdout)).toMatchObject({ name: 'hello-ferry', version: '1.0-1', architecture: 'all', dist: 'stable', filename: 'pool/main/h/hello-ferry/hello-ferry_1.0-1_all.deb' });
  for (const deb of debs.slice(1)) expect((await upload(deb)).status).toBe(201);
});

afterAll(async () => {
  await server?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('debian feed with the real apt client', () => {
  it('apt-get update verifies the signed InRelease and sees every version', async () => {
    const client = join(work, 'client');
    const keyResponse = await fetch(`${server.url}/feeds/apt-main/debian/key.asc`, { headers: { authorization: bearer(server.readToken) } });
    expect(keyResponse.status).toBe(200);
    await dearmorText(await keyResponse.text(), join(work, 'ferry.gpg'));
    await setupApt(client, `deb [signed-by=${join(work, 'ferry.gpg')}] ${server.url}/feeds/apt-main/debian stable main`, `127.0.0.1:${server.port}`, server.readToken);

    const update = await apt('apt-get', client, ['update']);
    expect(update.output).not.toMatch(/NO_PUBKEY|not signed|W: /);
    expect(update.code).toBe(0);

    const madison = await apt('apt-cache', client, ['madison', 'hello-ferry', 'libferry1']);
    expect(madison.output).toContain('hello-ferry |      1.0-1');
    expect(madison.output).toContain('hello-ferry |      1.1-1');
    expect(madison.output).toContain('libferry1 | 2:0.5+dfsg~rc1-3');

    const download = await apt('apt-get', client, ['download', 'hello-ferry=1.0-1', 'libferry1']);
    expect(download.code).toBe(0);
    const files = (await readdir(client)).filter((f) => f.endsWith('.deb')).sort();
    expect(files).toEqual(['hello-ferry_1.0-1_all.deb', 'libferry1_2%3a0.5+dfsg~rc1-3_amd64.deb'] /* apt download keeps the epoch, escaped */);
    const original = await readFile(debs[0] as string);
    const fetched = await readFile(join(client, 'hello-ferry_1.0-1_all.deb'));
    expect(createHash('sha256').update(fetched).digest('hex')).toBe(createHash('sha256').update(original).digest('hex'));

    const install = await apt('apt-get', client, ['install', '--download-only', '-y', 'hello-ferry']);
    expect(install.code).toBe(0);
    const archives = await readdir(join(client, 'cache/archives'));
    expect(archives).toContain('hello-ferry_1.1-1_all.deb');
  });

  it('apt-get update fails with a key that did not sign the repository', async () => {
    const client = join(work, 'client-wrong');
    const { publicKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Not Ferry', email: 'other@example.invalid' }] });
    await dearmorText(publicKey, join(work, 'wrong.gpg'));
    await setupApt(client, `deb [signed-by=${join(work, 'wrong.gpg')}] ${server.url}/feeds/apt-main/debian stable main`, `127.0.0.1:${server.port}`, server.readToken);
    const update = await apt('apt-get', client, ['update']);
    expect(update.output).toMatch(/NO_PUBKEY/);
    expect(update.output).not.toMatch(/401/);
    const madison = await apt('apt-cache', client, ['madison', 'hello-ferry']);
    expect(madison.output).not.toContain('1.0-1');
  });
});
