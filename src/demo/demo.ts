/**
 * `ferry demo`: a hub and two store spokes from `examples/hub-and-spoke`, running locally on
 * loopback with the embedded store and a local topology Git repository (no external services).
 * It publishes a sample image and a sample file to the hub, lets the stores pull them through
 * the topology, shows they arrived byte-identical, and prints each store's status.
 *
 * This is the same code path as a real site: `startController` per site, a Git repository as
 * the source of truth, sync tokens checked by hash, replication through the hub's change feed.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import git from 'isomorphic-git';
import { startController, type RunningController } from '../controller/controller.js';
import { createRegistryClient, MediaType } from '../oci/index.js';
import type { ContentTarget, Descriptor } from '../oci/content.js';
import { generateToken } from '../util/token.js';
import { freeLoopbackPort as freePort } from '../util/free-port.js';
import { demoTopologyFiles } from './topology.js';

export interface DemoOptions {
  /** Working directory (topology repository, site data); default a new temp dir. */
  dir?: string;
  /** Keep the sites running until `signal` aborts. */
  keepRunning?: boolean;
  signal?: AbortSignal;
  print: (line: string) => void;
}

export interface DemoResult {
  dir: string;
  sites: Array<{ site: string; url: string }>;
  image: { repository: string; tag: string; digest: string };
  file: { path: string; sha256: string };
  arrived: Array<{ site: string; image: boolean; file: boolean }>;
}

const STORES = ['store-001', 'store-002'] as const;
const exampleDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'hub-and-spoke');

async function commitTopology(repoDir: string, files: Record<string, string>): Promise<string> {
  await git.init({ fs, dir: repoDir, defaultBranch: 'main' });
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(repoDir, path)), { recursive: true });
    await writeFile(join(repoDir, path), content);
    await git.add({ fs, dir: repoDir, filepath: path });
  }
  return git.commit({ fs, dir: repoDir, message: 'demo topology from examples/hub-and-spoke', author: { name: 'ferry demo', email: 'demo@example.invalid' } });
}

/** A small two-layer OCI image, pushed blob by blob (the way any registry client does). */
async function publishImage(target: ContentTarget, repository: string, tag: string): Promise<Descriptor> {
  const open = (data: Buffer) => async (offset: number) => ({ stream: Readable.from([data.subarray(offset)]), size: data.length, offset });
  const digest = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
  const layers = [randomBytes(256 * 1024), randomBytes(64 * 1024)];
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map(digest) } }));
  const descriptors = layers.map((l) => ({ mediaType: MediaType.ociLayer, digest: digest(l), size: l.length }));
  for (const [i, l] of layers.entries()) await target.blobPut(repository, descriptors[i]!, open(l));
  await target.blobPut(repository, { mediaType: MediaType.ociConfig, digest: digest(config), size: config.length }, open(config));
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: { mediaType: MediaType.ociConfig, digest: digest(config), size: config.length }, layers: descriptors }));
  return target.manifestPut(repository, tag, MediaType.ociManifest, manifest);
}

async function publishFile(hubUrl: string, token: string, path: string, content: Buffer): Promise<void> {
  const response = await fetch(`${hubUrl}/feeds/files/files/${path}`, { method: 'PUT', body: content, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' } });
  if (!response.ok) throw new Error(`publishing ${path} to the hub failed: ${response.status} ${await response.text()}`);
}

async function fileArrived(storeUrl: string, path: string, sha256: string): Promise<boolean> {
  const response = await fetch(`${storeUrl}/feeds/store-files/files/${path}`);
  if (!response.ok) return false;
  return createHash('sha256').update(Buffer.from(await response.arrayBuffer())).digest('hex') === sha256;
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { print } = options;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'ferry-demo-')));
  const readToken = generateToken();
  const writeToken = generateToken();
  const ports: Record<string, number> = { hub: await freePort() };
  for (const store of STORES) ports[store] = await freePort();

  print(`ferry demo: working in ${dir}`);
  const repoDir = join(dir, 'topology-repo');
  const commit = await commitTopology(repoDir, await demoTopologyFiles({ exampleDir, ports, readToken, writeToken, keepSites: ['hub', ...STORES] }));
  print(`  topology: examples/hub-and-spoke committed as ${commit.slice(0, 12)} in ${repoDir}`);

  const env = { ...process.env, FERRY_TOKEN_HUB: readToken };
  const controllers: RunningController[] = [];
  try {
    for (const site of ['hub', ...STORES]) {
      const controller = await startController({
        config: { site, topology: { url: repoDir, ref: 'main', path: 'topology', pollInterval: '30s' }, dataDir: join(dir, 'sites', site), listen: `127.0.0.1:${ports[site]}` },
        env,
        jitterMaxMs: 0,
      });
      controllers.push(controller);
      print(`  started ${site.padEnd(10)} ${controller.url}  (feeds: ${(await controller.store.feedList()).map((f) => f.name).join(', ')})`);
    }
    const [hub, ...stores] = controllers as [RunningController, ...RunningController[]];

    const publisher = createRegistryClient({ registry: new URL(hub.url).host, plainHttp: true, auth: { token: writeToken } });
    const image = { repository: 'containers/pos/terminal', tag: 'v1.0.0', digest: '' };
    image.digest = (await publishImage(publisher, image.repository, image.tag)).digest;
    publisher.close();
    print(`  published image ${image.repository}:${image.tag} (${image.digest.slice(0, 19)}…) to the hub`);
    const fileContent = Buffer.from(`price list for all stores, published ${new Date().toISOString()}\n`);
    const file = { path: 'prices/today.txt', sha256: createHash('sha256').update(fileContent).digest('hex') };
    await publishFile(hub.url, writeToken, file.path, fileContent);
    print(`  published file files/${file.path} to the hub`);

    const arrived: DemoResult['arrived'] = [];
    for (const store of stores) {
      for (const replication of store.scheduler.names()) {
        const outcome = await store.scheduler.trigger(replication, 'demo');
        print(`  ${store.site}: ${replication} ${outcome?.result ?? 'not scheduled'}${outcome ? ` (${outcome.items} items, ${outcome.bytes} bytes)` : ''}${outcome?.error ? `: ${outcome.error.message}` : ''}`);
      }
      const held = await store.store.tagGet('store-containers/pos/terminal', image.tag);
      arrived.push({ site: store.site, image: held?.digest === image.digest, file: await fileArrived(store.url, file.path, file.sha256) });
    }
    for (const a of arrived) print(`  ${a.site}: image ${a.image ? 'arrived, same digest' : 'MISSING'}; file ${a.file ? 'arrived, same sha256' : 'MISSING'}`);
    for (const store of stores) {
      print('');
      print(`$ ferry status --url ${store.url}`);
      const { renderStatus } = await import('../cli/commands/status.js');
      print(renderStatus((await (await fetch(`${store.url}/api/v1/status`)).json()) as Parameters<typeof renderStatus>[0]).trimEnd());
    }
    if (options.keepRunning) {
      print('');
      print('The sites keep running; push more with skopeo or curl (see README), Ctrl-C to stop.');
      await new Promise<void>((resolve) => options.signal?.addEventListener('abort', () => resolve(), { once: true }));
    }
    return { dir, sites: controllers.map((c) => ({ site: c.site, url: c.url })), image, file, arrived };
  } finally {
    for (const c of controllers.reverse()) await c.stop();
  }
}
