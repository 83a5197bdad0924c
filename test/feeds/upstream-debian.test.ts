/**
 * A hub fed from an external APT repository (`Upstream` of type debian): the repository is made
 * by the real tools (dpkg-deb, dpkg-scanpackages, gpg --clearsign / --detach-sign) and served by
 * a static server on loopback; the hub's controller mirrors the selected packages into its feed,
 * and the real apt-get installs one from the hub with the hub's key as signed-by. Negative cases:
 * a Packages file that does not match the signed Release, a pool file that does not match its
 * stanza, a Release signed by another key — each refused with its code, nothing stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTopologyRepo, type TopologyRepo } from '../helpers/topology-repo.js';
import { freePort, siteHarness } from '../helpers/controllers.js';
import { apt, buildDeb, dearmor, setupApt } from './debian-fixtures.js';
import { createGpgKey, fileSha256, upstreamReplicationDoc, publishDebianRepo, serveStatic, tempDir, type GpgKey, type StaticServer } from './upstream-fixtures.js';
import type { RunningController } from '../../src/controller/controller.js';

const credentialsEnv = `FERRY_UPSTREAM_CREDS_${process.pid}`;

function indent(text: string, spaces: number): string {
  return text.trimEnd().split('\n').map((l) => ' '.repeat(spaces) + l).join('\n');
}

function upstreamDoc(name: string, url: string, key: string): string {
  return `apiVersion: ferry/v1
kind: Upstream
metadata: {name: ${name}}
spec:
  type: debian
  url: "${url}"
  distributions: [stable]
  components: [main]
  architectures: [amd64]
  signedBy: |
${indent(key, 4)}
`;
}

describe('controller: mirror an external APT repository into a hub feed', () => {
  const harness = siteHarness();
  let work: string;
  let root: string;
  let server: StaticServer;
  let key: GpgKey;
  let otherKey: GpgKey;
  let repo: TopologyRepo;
  let hub: RunningController;
  const debs: Record<string, string> = {};

  const poolRequests = (prefix: string): string[] => server.requests.filter((p) => p.startsWith(`/${prefix}/pool/`));

  async function layout(name: string, files: string[], signer: GpgKey): Promise<string> {
    const dir = join(root, name);
    await mkdir(join(dir, 'pool/main'), { recursive: true });
    for (const f of files) await copyFile(debs[f]!, join(dir, 'pool/main', debs[f]!.split('/').pop()!));
    await publishDebianRepo(dir, signer);
    return dir;
  }

  beforeAll(async () => {
    work = await tempDir('ferry-upstream-deb-');
    root = join(work, 'www');
    const build = join(work, 'build');
    await mkdir(build, { recursive: true });
    key = await createGpgKey(work, 'archive');
    otherKey = await createGpgKey(work, 'intruder');
    debs['hello-1.0'] = await buildDeb(build, { name: 'hello-up', version: '1.0-1' });
    debs['hello-1.1'] = await buildDeb(build, { name: 'hello-up', version: '1.1-1' });
    debs['tool'] = await buildDeb(build, { name: 'tool-x', version: '2.0-1', arch: 'amd64' });
    debs['debug'] = await buildDeb(build, { name: 'debug-junk', version: '0.1-1' });
    const all = ['hello-1.0', 'hello-1.1', 'tool', 'debug'];
    await layout('good', all, key);
    const detached = await layout('detached', ['hello-1.0'], key);
    await rm(join(detached, 'dists/stable/InRelease'));
    const tampered = await layout('tampered', all, key);
    await writeFile(join(tampered, 'dists/stable/main/binary-amd64/Packages.gz'), Buffer.concat([await readFile(join(tampered, 'dists/stable/main/binary-amd64/Packages.gz')), Buffer.from([0])]));
    const badPool = await layout('badpool', ['hello-1.0'], key);
    const poolFile = join(badPool, 'pool/main', debs['hello-1.0']!.split('/').pop()!);
    const bytes = await readFile(poolFile);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff; // same size, different bytes
    await writeFile(poolFile, bytes);
    await layout('wrongkey', ['hello-1.0'], otherKey);
    await layout('private', ['hello-1.0'], key);
    server = await serveStatic(root, { prefix: '/private/', authorization: `Basic ${Buffer.from('mirror:s3cret-pw').toString('base64')}` });

    const port = await freePort();
    repo = createTopologyRepo();
    repo.commit('upstreams', {
      'topology/all.yaml': [
        `apiVersion: ferry/v1\nkind: Site\nmetadata: {name: hub}\nspec: {url: "http://127.0.0.1:${port}", anonymousRead: true}\n`,
        ...['good', 'detached', 'tampered', 'badpool', 'wrongkey'].map((n) => upstreamDoc(`up-${n}`, `${server.url}/${n}`, key.publicKey)),
        upstreamDoc('up-private', `${server.url}/private`, key.publicKey) + `  credentials: {secretRef: {env: ${credentialsEnv}}}\n`,
        upstreamReplicationDoc('debian', 'private-to-hub', 'up-private', 'private-debs', ''),
        upstreamReplicationDoc('debian', 'good-to-hub', 'up-good', 'mirror-debs', '  filter: {include: ["hello-*", "tool-*"]}\n  deletes: propagate\n'),
        upstreamReplicationDoc('debian', 'good-keep', 'up-good', 'mirror-keep', '  filter: {include: ["tool-*"]}\n  deletes: keep\n'),
        upstreamReplicationDoc('debian', 'detached-to-hub', 'up-detached', 'detached-debs', ''),
        upstreamReplicationDoc('debian', 'tampered-to-hub', 'up-tampered', 'neg-tampered', ''),
        upstreamReplicationDoc('debian', 'badpool-to-hub', 'up-badpool', 'neg-badpool', ''),
        upstreamReplicationDoc('debian', 'wrongkey-to-hub', 'up-wrongkey', 'neg-wrongkey', ''),
      ].join('---\n'),
    });
    hub = await harness.start('hub', port, repo.dir);
  }, 120_000);

  afterAll(async () => {
    delete process.env[credentialsEnv];
    await harness.stopAll();
    await server?.close();
    repo?.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('imports the selected packages, verified against the signed Release', async () => {
    const outcome = await hub.scheduler.trigger('good-to-hub');
    expect(outcome, JSON.stringify(outcome?.error)).toMatchObject({ result: 'succeeded', items: 3 });
    const packages = await (await fetch(`${hub.url}/feeds/mirror-debs/debian/dists/stable/main/binary-amd64/Packages`)).text();
    expect(packages).toContain('Package: hello-up\nVersion: 1.0-1');
    expect(packages).toContain('Package: hello-up\nVersion: 1.1-1');
    expect(packages).toContain('Package: tool-x');
    expect(packages).not.toContain('debug-junk');
    expect((await hub.scheduler.trigger('good-keep'))?.items).toBe(1);
    const origins = new Set((await hub.store.tagRecords({ feed: 'mirror-debs' })).map((t) => t.origin));
    expect([...origins]).toEqual(['replication:good-to-hub']);
  });

  it('apt-get installs a mirrored package from the hub, verified with the hub’s key', async () => {
    const client = join(work, 'apt');
    await mkdir(client, { recursive: true });
    await writeFile(join(work, 'hub.asc'), await (await fetch(`${hub.url}/feeds/mirror-debs/debian/key.asc`)).text());
    await dearmor(join(work, 'hub.asc'), join(work, 'hub.gpg'));
    await setupApt(client, `deb [signed-by=${join(work, 'hub.gpg')}] ${hub.url}/feeds/mirror-debs/debian stable main`, 'no-credentials.invalid', 'unused');
    const update = await apt('apt-get', client, ['update']);
    expect(update.output).not.toMatch(/NO_PUBKEY|not signed|W: /);
    expect(update.code).toBe(0);
    expect((await apt('apt-get', client, ['download', 'hello-up=1.1-1'])).code).toBe(0);
    expect(await fileSha256(join(client, 'hello-up_1.1-1_all.deb'))).toBe(await fileSha256(debs['hello-1.1']!));
  }, 120_000);

  it('a second run with nothing new downloads no package file', async () => {
    const before = poolRequests('good').length;
    const outcome = await hub.scheduler.trigger('good-to-hub');
    expect(outcome).toMatchObject({ result: 'succeeded', items: 0, bytes: 0 });
    expect(poolRequests('good').length).toBe(before);
  });

  it('takes Release + Release.gpg when the upstream has no InRelease', async () => {
    const outcome = await hub.scheduler.trigger('detached-to-hub');
    expect(outcome, JSON.stringify(outcome?.error)).toMatchObject({ result: 'succeeded', items: 1 });
  });

  it.each([
    ['tampered-to-hub', 'neg-tampered', 'tampered', 'UPSTREAM_INDEX_MISMATCH'],
    ['badpool-to-hub', 'neg-badpool', 'badpool', 'UPSTREAM_FILE_MISMATCH'],
    ['wrongkey-to-hub', 'neg-wrongkey', 'wrongkey', 'UPSTREAM_SIGNATURE_INVALID'],
  ])('%s is refused (%s stays empty)', async (replication, feed, prefix, code) => {
    const outcome = await hub.scheduler.trigger(replication);
    expect(outcome?.result).toBe('failed');
    expect(outcome?.error?.code).toBe(code);
    expect(await hub.store.tagRecords({ feed })).toEqual([]);
    if (code !== 'UPSTREAM_FILE_MISMATCH') expect(poolRequests(prefix)).toEqual([]);
    const failed = hub.state.conditions().find((c) => c.kind === 'Replication' && c.name === replication && c.type === 'ReplicationFailed');
    expect(failed?.reason).toBe(code);
  });

  it('upstream credentials: a refused secret names spec.credentials (never the secret); the right one works', async () => {
    process.env[credentialsEnv] = 'mirror:wrong-pw';
    const refused = await hub.scheduler.trigger('private-to-hub');
    expect(refused?.error?.code).toBe('REPLICATION_PEER_UNAUTHORIZED');
    expect(refused?.error?.message).toContain('spec.credentials');
    expect(JSON.stringify(hub.state.conditions())).not.toMatch(/wrong-pw|s3cret/);
    process.env[credentialsEnv] = 'mirror:s3cret-pw';
    expect(await hub.scheduler.trigger('private-to-hub')).toMatchObject({ result: 'succeeded', items: 1 });
  });

  it('a package removed upstream leaves the hub only with deletes: propagate', async () => {
    await rm(join(root, 'good/pool/main', debs['tool']!.split('/').pop()!));
    await publishDebianRepo(join(root, 'good'), key);
    expect((await hub.scheduler.trigger('good-to-hub'))?.result).toBe('succeeded');
    expect((await hub.scheduler.trigger('good-keep'))?.result).toBe('succeeded');
    const propagated = await (await fetch(`${hub.url}/feeds/mirror-debs/debian/dists/stable/main/binary-amd64/Packages`)).text();
    expect(propagated).not.toContain('Package: tool-x');
    expect(propagated).toContain('Package: hello-up');
    const kept = await (await fetch(`${hub.url}/feeds/mirror-keep/debian/dists/stable/main/binary-amd64/Packages`)).text();
    expect(kept).toContain('Package: tool-x');
  });

  it('refuses a validly signed Release older than one already taken (replay)', async () => {
    await publishDebianRepo(join(root, 'good'), key, { date: new Date(Date.now() - 86_400_000) });
    const outcome = await hub.scheduler.trigger('good-to-hub');
    expect(outcome?.result).toBe('failed');
    expect(outcome?.error?.code).toBe('UPSTREAM_INDEX_ROLLBACK');
    await publishDebianRepo(join(root, 'good'), key, { date: new Date(Date.now() + 5_000) });
    expect((await hub.scheduler.trigger('good-to-hub'))?.result).toBe('succeeded');
  });
});
