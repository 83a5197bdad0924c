/**
 * fs store faults: a full disk (the partial file is pointed at /dev/full, a real device that
 * fails every write with ENOSPC) and corrupted files on disk.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFsStore, type Store } from '../../src/store/index.js';
import { blob, imageManifest, OCI_CONFIG, randomBlob, sourceOf } from './content.js';

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-fs-faults-'));
  store = await createFsStore({ dir });
  await store.feedEnsure('apps', 'oci');
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(() => undefined, (err: { code?: string }) => err.code ?? 'NO_CODE');
}

describe('fs store faults', () => {
  it('a full disk fails with STORE_NO_SPACE, stores nothing, and the write succeeds once space is back', async () => {
    expect(existsSync('/dev/full')).toBe(true);
    const b = randomBlob(200_000);
    const partial = join(dir, 'partial', b.descriptor.digest.slice(7));
    await symlink('/dev/full', partial);
    expect(await codeOf(store.blobPut('apps/web', b.descriptor, sourceOf(b.bytes)))).toBe('STORE_NO_SPACE');
    expect(await store.blobHead('apps/web', b.descriptor.digest)).toBeUndefined();
    await rm(partial);
    expect((await store.blobPut('apps/web', b.descriptor, sourceOf(b.bytes))).transferred).toBe(200_000);
  });

  it('a manifest file corrupted on disk is reported as STORE_CORRUPT, never served', async () => {
    const config = blob(Buffer.from('{"os":"linux"}'), OCI_CONFIG);
    await store.blobPut('apps/web', config.descriptor, sourceOf(config.bytes));
    const m = imageManifest(config, []);
    await store.manifestPut('apps/web', 'v1', m.mediaType, m.body);
    const flipped = Buffer.from(m.body);
    flipped.writeUInt8(flipped.readUInt8(flipped.length - 2) ^ 1, flipped.length - 2);
    await writeFile(join(dir, 'blobs', 'sha256', m.digest.slice(7)), flipped);
    expect(await codeOf(store.manifestGet('apps/web', 'v1'))).toBe('STORE_CORRUPT');
  });
});
