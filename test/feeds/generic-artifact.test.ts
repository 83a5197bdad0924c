/**
 * The shared package-artifact layer (src/feeds/artifact) over a real fs store: naming (tags and
 * repository components), put/get/list/delete, the change-log-driven PackageIndex, and upload
 * spooling with its size cap over a real HTTP server.
 */
import { createHash } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFsStore, type Store } from '../../src/store/index.js';
import {
  deletePackage, fromTag, getPackage, listPackages, PackageIndex, putPackage, spoolUpload, toRepositoryComponent, toTag,
  type IndexEvent, type PutPackageInput,
} from '../../src/feeds/artifact/index.js';
import { isFerryError } from '../../src/errors/index.js';

const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const COMPONENT = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$/;

let dir: string;
let store: Store;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-artifact-'));
  store = await createFsStore({ dir: join(dir, 'store') });
  await store.feedEnsure('pkgs', 'debian');
});

afterAll(async () => {
  await store?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('naming', () => {
  it.each([
    ['1.0', '1.0'],
    ['1:2.0+dfsg~1-3', '1_3a2.0_2bdfsg_7e1-3'],
    ['1_2', '1_5f2'],
    ['-rc', '_2drc'],
    ['.hidden', '_2ehidden'],
    ['ünïcode', '_c3_bcn_c3_afcode'],
  ])('toTag(%j) = %j, a valid tag that fromTag reverses', (version, tag) => {
    expect(toTag(version)).toBe(tag);
    expect(tag).toMatch(TAG);
    expect(fromTag(tag)).toBe(version);
  });

  it('cuts very long versions to a valid, distinct tag', () => {
    const a = toTag('1.'.repeat(100) + 'a');
    const b = toTag('1.'.repeat(100) + 'b');
    expect(a).toMatch(TAG);
    expect(a).not.toBe(b);
    expect(fromTag(a)).toBeUndefined();
  });

  it.each([
    ['nginx', 'nginx'],
    ['python3.11', 'python3.11'],
    ['libstdc++6', /^libstdc-6__[0-9a-f]{16}$/],
    ['Newtonsoft.Json', /^newtonsoft-json__[0-9a-f]{16}$/],
    ['a..b', /^a-b__[0-9a-f]{16}$/],
    ['+++', /^x__[0-9a-f]{16}$/],
  ])('toRepositoryComponent(%j) is a valid OCI path component', (name, expected) => {
    const component = toRepositoryComponent(name);
    expect(component).toMatch(COMPONENT);
    if (typeof expected === 'string') expect(component).toBe(expected);
    else expect(component).toMatch(expected);
  });

  it('keeps different names apart even when their slugs are equal', () => {
    expect(toRepositoryComponent('Foo')).not.toBe(toRepositoryComponent('FOO'));
    expect(toRepositoryComponent('a+b')).not.toBe(toRepositoryComponent('a~b'));
  });
});

async function input(name: string, version: string, content: string, metadata: Record<string, unknown> = {}): Promise<PutPackageInput<Record<string, unknown>>> {
  const path = join(dir, `${name}-${version}-${createHash('md5').update(content).digest('hex')}`);
  await writeFile(path, content);
  return {
    feed: 'pkgs', name, version, fileName: `${name}-${version}.bin`, fileMediaType: 'application/octet-stream',
    artifactType: 'application/vnd.ferry.test.v1', configMediaType: 'application/vnd.ferry.test.v1+json',
    metadata: { name, version, ...metadata }, file: { path, digest: `sha256:${createHash('sha256').update(content).digest('hex')}`, size: Buffer.byteLength(content) },
  };
}

describe('packages in the store', () => {
  it('puts, gets, lists, refuses a conflicting re-publish and deletes', async () => {
    const put = await putPackage(store, await input('tool++', '1:1.0', 'one'));
    expect(put.repository).toMatch(/^pkgs\/tool__[0-9a-f]{16}$/);
    expect(put.tag).toBe('1_3a1.0');
    const again = await putPackage(store, await input('tool++', '1:1.0', 'one'));
    expect(again.manifestDigest).toBe(put.manifestDigest);
    await expect(putPackage(store, await input('tool++', '1:1.0', 'changed'))).rejects.toSatisfy((e: unknown) => isFerryError(e, 'FEED_CONFLICT'));

    const got = await getPackage<{ name: string }>(store, 'pkgs', 'tool++', '1:1.0');
    expect(got).toMatchObject({ name: 'tool++', version: '1:1.0', fileName: 'tool++-1:1.0.bin', metadata: { name: 'tool++' } });
    expect(got?.file.digest).toBe(put.file.digest);
    const blob = await store.blobGet(put.repository, put.file.digest);
    let text = '';
    for await (const chunk of blob.stream) text += String(chunk);
    expect(text).toBe('one');

    await putPackage(store, await input('tool++', '2.0', 'two'));
    expect((await listPackages(store, 'pkgs', { artifactType: 'application/vnd.ferry.test.v1' })).map((p) => p.version).sort()).toEqual(['1:1.0', '2.0']);
    expect(await deletePackage(store, 'pkgs', 'tool++', '1:1.0')).toBe(true);
    expect(await deletePackage(store, 'pkgs', 'tool++', '1:1.0')).toBe(false);
    expect(await getPackage(store, 'pkgs', 'tool++', '1:1.0')).toBeUndefined();
  });

  it('PackageIndex follows the change log: adds, overwrites and deletes, incrementally', async () => {
    await store.feedEnsure('idx', 'debian');
    const mk = async (name: string, version: string, content: string): Promise<PutPackageInput<Record<string, unknown>>> => ({ ...(await input(name, version, content)), feed: 'idx' });
    await putPackage(store, await mk('a', '1', 'a1'));
    const index = new PackageIndex<Record<string, unknown>>(store, 'idx', 'application/vnd.ferry.test.v1');
    const events: string[] = [];
    index.subscribe((e: IndexEvent<Record<string, unknown>>) => events.push(`${e.type} ${e.record.name}@${e.record.version}`));
    expect(await index.refresh()).toBe(true);
    expect(events).toEqual(['add a@1']);
    expect(await index.refresh()).toBe(false);

    await putPackage(store, await mk('b', '1', 'b1'));
    await putPackage(store, { ...(await mk('a', '1', 'a1-new')), overwrite: true });
    await deletePackage(store, 'idx', 'b', '1');
    expect(await index.refresh()).toBe(true);
    // b came and went between two refreshes: its manifest is gone, so it is never announced.
    expect(events.slice(1)).toEqual(['remove a@1', 'add a@1']);
    await putPackage(store, await mk('c', '1', 'c1'));
    expect(await index.refresh()).toBe(true);
    await deletePackage(store, 'idx', 'c', '1');
    expect(await index.refresh()).toBe(true);
    expect(events.slice(3)).toEqual(['add c@1', 'remove c@1']);
    expect([...index.values()].map((r) => `${r.name}@${r.version}`)).toEqual(['a@1']);
  });
});

describe('PackageIndex and a re-created feed', () => {
  it('reloads when the change log goes backwards (feed pruned and created again)', async () => {
    await store.feedEnsure('again', 'debian');
    const mk = async (name: string, content: string): Promise<PutPackageInput<Record<string, unknown>>> => ({ ...(await input(name, '1', content)), feed: 'again' });
    for (const name of ['old1', 'old2', 'old3']) await putPackage(store, await mk(name, name));
    const index = new PackageIndex<Record<string, unknown>>(store, 'again', 'application/vnd.ferry.test.v1');
    await index.refresh();
    expect(index.size).toBe(3);
    await store.feedRetire('again');
    await store.feedPrune('again');
    await store.feedEnsure('again', 'debian');
    await putPackage(store, await mk('new1', 'new1'));
    await index.refresh();
    expect([...index.values()].map((r) => r.name)).toEqual(['new1']);
  });
});

describe('PackageIndex snapshot', () => {
  it('a restart takes known versions from the snapshot, reads only new ones, and never trusts it for liveness', async () => {
    await store.feedEnsure('snap', 'debian');
    const mk = async (name: string, content: string): Promise<PutPackageInput<Record<string, unknown>>> => ({ ...(await input(name, '1', content)), feed: 'snap' });
    for (const name of ['p1', 'p2', 'p3']) await putPackage(store, await mk(name, name));
    const snapshotFile = join(dir, 'snapshots', 'snap.jsonl');
    const first = new PackageIndex<Record<string, unknown>>(store, 'snap', 'application/vnd.ferry.test.v1', undefined, { snapshotFile });
    await first.refresh();
    await first.flushSnapshot();

    // While "down": one version deleted, one added.
    await deletePackage(store, 'snap', 'p2', '1');
    await putPackage(store, await mk('p4', 'p4'));

    // Count store reads through a transparent wrapper around the real store.
    let manifestReads = 0;
    const counting = new Proxy(store, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (prop === 'manifestGet') return (...args: unknown[]) => { manifestReads++; return (value as (...a: unknown[]) => unknown).apply(target, args); };
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const second = new PackageIndex<Record<string, unknown>>(counting, 'snap', 'application/vnd.ferry.test.v1', undefined, { snapshotFile });
    await second.refresh();
    expect([...second.values()].map((r) => r.name).sort()).toEqual(['p1', 'p3', 'p4']);
    expect(manifestReads).toBe(1); // p4 only

    await writeFile(snapshotFile, '{"v":1,"artifactType":"application/vnd.ferry.test.v1"}\nnot json\n');
    const third = new PackageIndex<Record<string, unknown>>(store, 'snap', 'application/vnd.ferry.test.v1', undefined, { snapshotFile });
    await third.refresh();
    expect([...third.values()].map((r) => r.name).sort()).toEqual(['p1', 'p3', 'p4']);
  });
});

describe('spoolUpload', () => {
  let server: Server;
  let port: number;
  const tmp = (): string => join(dir, 'spool');

  beforeAll(async () => {
    server = createServer((req, res) => {
      spoolUpload(req, { tmpDir: tmp(), maxBytes: 100_000 })
        .then(async (file) => {
          await file.dispose();
          res.end(JSON.stringify({ size: file.size, digest: file.digest }));
        })
        .catch((err: { code?: string }) => {
          res.statusCode = 400;
          res.setHeader('connection', 'close');
          res.end(JSON.stringify({ code: err.code }));
        });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  function send(headers: Record<string, string>, chunks: Buffer[], end = true): Promise<{ code?: string; size?: number; digest?: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'PUT', path: '/', headers }, (res) => {
        let body = '';
        res.on('data', (c) => (body += String(c)));
        res.on('end', () => resolve(JSON.parse(body)));
      });
      req.on('error', () => undefined);
      for (const chunk of chunks) req.write(chunk);
      if (end) req.end();
      else setTimeout(() => req.destroy(), 200);
      void reject;
    });
  }

  it('spools a body with its sha256 and leaves nothing behind', async () => {
    const body = Buffer.alloc(50_000, 7);
    const result = await send({ 'content-length': String(body.length) }, [body]);
    expect(result).toEqual({ size: 50_000, digest: `sha256:${createHash('sha256').update(body).digest('hex')}` });
    expect(await readdir(tmp())).toEqual([]);
  });

  it('stops a chunked body past the cap (FEED_TOO_LARGE) and deletes the partial file', async () => {
    const result = await send({ 'transfer-encoding': 'chunked' }, Array.from({ length: 20 }, () => Buffer.alloc(10_000)));
    expect(result.code).toBe('FEED_TOO_LARGE');
    expect(await readdir(tmp())).toEqual([]);
  });

  it('refuses an announced length above the cap without reading', async () => {
    expect((await send({ 'content-length': '10737418240' }, [Buffer.alloc(10)], false)).code).toBe('FEED_TOO_LARGE');
  });
});
