/**
 * Packages and files are plain OCI artifacts: published at a hub, copied with the OCI engine's
 * `copy()` through a real CNCF distribution registry (`docker-registry`) into a spoke's store
 * under another feed name (as a pull replication with a feed mapping does), they are served by
 * the spoke's own views: `apt-get` verifies the spoke's own signature and downloads the very
 * bytes, files keep their versions. A deletion copied over (manifest delete) leaves the indexes.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copy, createRegistryClient, type RegistryClient } from '../../src/oci/index.js';
import { bearer, startFeedServer, type RunningFeedServer } from '../helpers/feed-server.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { apt, buildDeb, dearmor, setupApt } from './debian-fixtures.js';

let hub: RunningFeedServer;
let spoke: RunningFeedServer;
let registry: RunningRegistry;
let client: RegistryClient;
let work: string;
let debPath: string;

/** Copies every tag of `fromFeed` at the hub to `toFeed` at the spoke, via the registry. */
async function replicate(fromFeed: string, toFeed: string): Promise<void> {
  for (const tag of await hub.store.tagRecords({ feed: fromFeed })) {
    const rest = tag.repository.slice(fromFeed.length + 1);
    await copy(hub.store, { repository: tag.repository, reference: tag.tag }, client, { repository: `mirror/${rest}`, reference: tag.tag });
    await copy(client, { repository: `mirror/${rest}`, reference: tag.tag }, spoke.store, { repository: `${toFeed}/${rest}`, reference: tag.tag });
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-replicated-'));
  registry = await startRegistry();
  client = createRegistryClient({ registry: registry.host });
  hub = await startFeedServer({ feeds: [{ name: 'hub-debs', type: 'debian' }, { name: 'hub-files', type: 'generic' }] });
  spoke = await startFeedServer({ feeds: [{ name: 'store-debs', type: 'debian' }, { name: 'store-files', type: 'generic' }] });
  debPath = await buildDeb(work, { name: 'edge-agent', version: '3.1-1', arch: 'amd64' });
  const extra = await buildDeb(work, { name: 'libedge++1', version: '1:0.9-2' });
  for (const deb of [debPath, extra]) {
    const put = await fetch(`${hub.url}/feeds/hub-debs/debian/upload`, { method: 'PUT', headers: { authorization: bearer(hub.writeToken) }, body: await readFile(deb) });
    expect(put.status).toBe(201);
  }
  for (const body of ['first\n', 'second\n']) {
    const put = await fetch(`${hub.url}/feeds/hub-files/files/site/config.txt`, { method: 'PUT', headers: { authorization: bearer(hub.writeToken) }, body });
    expect(put.status).toBe(201);
  }
  await replicate('hub-debs', 'store-debs');
  await replicate('hub-files', 'store-files');
});

afterAll(async () => {
  client?.close();
  await hub?.stop();
  await spoke?.stop();
  await registry?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('replicated packages and files are served by the spoke', () => {
  it('apt-get installs from the spoke with the spoke\'s own key', async () => {
    const key = await (await fetch(`${spoke.url}/feeds/store-debs/debian/key.asc`, { headers: { authorization: bearer(spoke.readToken) } })).text();
    await writeFile(join(work, 'spoke.asc'), key);
    await dearmor(join(work, 'spoke.asc'), join(work, 'spoke.gpg'));
    const dir = join(work, 'apt');
    await setupApt(dir, `deb [signed-by=${join(work, 'spoke.gpg')}] ${spoke.url}/feeds/store-debs/debian stable main`, `127.0.0.1:${spoke.port}`, spoke.readToken);
    const update = await apt('apt-get', dir, ['update']);
    expect(update.code, update.output).toBe(0);
    expect((await apt('apt-cache', dir, ['madison', 'libedge++1'])).output).toContain('1:0.9-2');
    expect((await apt('apt-get', dir, ['download', 'edge-agent'])).code).toBe(0);
    const fetched = (await readdir(dir)).find((f) => f.startsWith('edge-agent_'));
    const sha = async (p: string): Promise<string> => createHash('sha256').update(await readFile(p)).digest('hex');
    expect(await sha(join(dir, fetched as string))).toBe(await sha(debPath));
  });

  it('files keep their versions at the spoke', async () => {
    const get = async (q: string): Promise<string> => (await fetch(`${spoke.url}/feeds/store-files/files/site/config.txt${q}`, { headers: { authorization: bearer(spoke.readToken) } })).text();
    expect(await get('')).toBe('second\n');
    expect(await get('?version=1')).toBe('first\n');
  });

  it('a replicated delete removes the package from the spoke\'s indexes', async () => {
    const packages = async (): Promise<string> => (await fetch(`${spoke.url}/feeds/store-debs/debian/dists/stable/main/binary-amd64/Packages`, { headers: { authorization: bearer(spoke.readToken) } })).text();
    expect(await packages()).toContain('Package: edge-agent');
    const tag = (await spoke.store.tagRecords({ feed: 'store-debs' })).find((t) => t.repository === 'store-debs/edge-agent');
    if (!tag) throw new Error('edge-agent was not replicated');
    await spoke.store.manifestDelete(tag.repository, tag.digest, { origin: 'replication:hub' });
    expect(await packages()).not.toContain('Package: edge-agent');
    expect(await packages()).toContain('Package: libedge++1');
  });
});
