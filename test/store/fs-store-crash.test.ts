/**
 * fs store under real process death and real concurrent processes: kill -9 at random points
 * leaves nothing half-visible, an interrupted blob resumes, two processes writing one store
 * interleave safely.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFsStore } from '../../src/store/index.js';
import { blob, readAll, seededBytes, sourceOf } from './content.js';
import { consistencyProblems, killHard, spawnWriter } from './processes.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-fs-crash-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('fs store: kill -9', () => {
  it('leaves a consistent store at random kill points, and the store keeps working', async () => {
    for (let round = 0; round < 4; round++) {
      const writer = spawnWriter(['churn', dir, `r${round}`, '50']);
      // Random point: after one or two complete images, somewhere inside the next writes
      // (each image is ~1 MiB trickled in 64 KiB chunks, then a manifest put).
      await writer.waitFor(new RegExp(`^pushed ${Math.floor(Math.random() * 2)}$`), 45_000);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 250)));
      await killHard(writer);
      expect(await consistencyProblems(dir)).toEqual([]);
    }
    const store = await createFsStore({ dir });
    try {
      // Every tag that became visible resolves to a complete, verified manifest and blobs.
      const records = await store.tagRecords({ feed: 'apps' });
      expect(records.length).toBeGreaterThan(0);
      for (const record of records) {
        const m = await store.manifestGet(record.repository, record.tag);
        expect(m.descriptor.digest).toBe(record.digest);
      }
      const seqs = (await store.changes('apps', 0, 10_000)).changes.map((c) => c.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
    } finally {
      await store.close();
    }
  });

  it('resumes a blob interrupted by kill -9 from the partial it kept', async () => {
    const size = 4 * 1024 * 1024;
    const writer = spawnWriter(['slow', dir, 'seed-1', String(size)]);
    await writer.waitFor(/^sent (2[5-9]|[3-9]\d)\d{5}$/); // past ~2.5 MB: at least one 1 MiB batch is on disk
    await killHard(writer);
    expect(await consistencyProblems(dir)).toEqual([]);
    const b = blob(seededBytes('seed-1', size));
    const partial = await stat(join(dir, 'partial', b.descriptor.digest.slice(7)));
    expect(partial.size).toBeGreaterThan(0);

    const store = await createFsStore({ dir });
    try {
      expect(await store.blobHead('apps/slow', b.descriptor.digest)).toBeUndefined();
      const asked: number[] = [];
      const result = await store.blobPut('apps/slow', b.descriptor, sourceOf(b.bytes, asked));
      expect(asked[0]).toBe(partial.size);
      expect(result.transferred).toBe(size - partial.size);
      expect((await readAll((await store.blobGet('apps/slow', b.descriptor.digest)).stream)).equals(b.bytes)).toBe(true);
      expect(await readdir(join(dir, 'partial'))).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

describe('fs store: concurrent writers', () => {
  it('two processes push into one store: all content present, one gap-free change sequence', async () => {
    const first = await createFsStore({ dir });
    await first.feedEnsure('apps', 'oci');
    await first.close();
    const a = spawnWriter(['push', dir, 'alpha', '15']);
    const b = spawnWriter(['push', dir, 'beta', '15']);
    const [codeA, codeB] = await Promise.all([a.exited, b.exited]);
    expect([codeA, codeB, a.stderr(), b.stderr()]).toEqual([0, 0, '', '']);
    expect(await consistencyProblems(dir)).toEqual([]);
    const store = await createFsStore({ dir });
    try {
      expect((await store.tagRecords({ feed: 'apps' })).length).toBe(30);
      const page = await store.changes('apps', 0, 10_000);
      // Per image: one put, one tag.
      expect(page.changes.map((c) => c.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
      expect(page.last).toBe(60);
    } finally {
      await store.close();
    }
  });

  it('many async writers in one process: same blobs, same tags, no lost update', async () => {
    const store = await createFsStore({ dir });
    try {
      await store.feedEnsure('apps', 'oci');
      const shared = blob(seededBytes('shared', 512 * 1024));
      const config = blob(Buffer.from('{"os":"linux"}'), 'application/vnd.oci.image.config.v1+json');
      const { imageManifest } = await import('./content.js');
      const m = imageManifest(config, [shared]);
      await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          await store.blobPut('apps/many', shared.descriptor, sourceOf(shared.bytes));
          await store.blobPut('apps/many', config.descriptor, sourceOf(config.bytes));
          await store.manifestPut('apps/many', `t${i % 5}`, m.mediaType, m.body);
        }),
      );
      expect((await store.tagList('apps/many')).tags).toEqual(['t0', 't1', 't2', 't3', 't4']);
      const ops = (await store.changes('apps', 0)).changes.map((c) => c.op);
      expect(ops.filter((o) => o === 'put')).toHaveLength(1);
      expect(ops.filter((o) => o === 'tag')).toHaveLength(5);
      expect(await consistencyProblems(dir)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
