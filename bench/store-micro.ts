/**
 * Store micro-benchmark (run on demand: `npx tsx bench/store-micro.ts`): metadata operations per
 * second of the fs store (manifestHead by tag, changes page) and blob write throughput compared
 * with a plain stream copy to disk of the same bytes in the same run.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createFsStore } from '../src/store/index.js';
import { blob, imageManifest, OCI_CONFIG, seededBytes, sourceOf } from '../test/store/content.js';

const dir = await mkdtemp(join(tmpdir(), 'ferry-store-bench-'));
try {
  const store = await createFsStore({ dir: join(dir, 'store') });
  await store.feedEnsure('apps', 'oci');
  const config = blob(Buffer.from('{"os":"linux"}'), OCI_CONFIG);
  const layer = blob(seededBytes('layer', 1024));
  await store.blobPut('apps/web', config.descriptor, sourceOf(config.bytes));
  await store.blobPut('apps/web', layer.descriptor, sourceOf(layer.bytes));
  const m = imageManifest(config, [layer]);
  let t = performance.now();
  for (let i = 0; i < 500; i++) await store.manifestPut('apps/web', `v${i}`, m.mediaType, m.body);
  const putMs = (performance.now() - t) / 500;
  t = performance.now();
  for (let r = 0; r < 10; r++) for (let i = 0; i < 500; i++) await store.manifestHead('apps/web', `v${i}`);
  const headUs = ((performance.now() - t) / 5000) * 1000;
  t = performance.now();
  for (let r = 0; r < 100; r++) await store.changes('apps', 0, 1000);
  const changesMs = (performance.now() - t) / 100;
  console.log(`tag put ${putMs.toFixed(3)} ms/op; manifestHead ${headUs.toFixed(1)} µs/op; changes(1000) ${changesMs.toFixed(2)} ms/page`);

  const size = 256 * 1024 * 1024;
  const big = join(dir, 'big.bin');
  await writeFile(big, seededBytes('big', size));
  const { createHash } = await import('node:crypto');
  const digest = 'sha256:' + createHash('sha256').update(await (await import('node:fs/promises')).readFile(big)).digest('hex');
  for (let round = 0; round < 2; round++) {
    t = performance.now();
    await pipeline(createReadStream(big, { highWaterMark: 1024 * 1024 }), createWriteStream(join(dir, `copy-${round}`)));
    const copyMs = performance.now() - t;
    t = performance.now();
    await store.blobPut(`apps/big${round}`, { mediaType: 'application/octet-stream', digest, size }, async (offset) => ({ stream: createReadStream(big, { start: offset, highWaterMark: 1024 * 1024 }), size, offset }));
    const putBlobMs = performance.now() - t;
    await rm(join(dir, 'store', 'blobs', 'sha256', digest.slice(7)));
    const mbs = (ms: number): string => ((size / 1e6) / (ms / 1000)).toFixed(0);
    console.log(`round ${round}: plain copy ${mbs(copyMs)} MB/s; fs store blobPut (sha256 + fsync + rename) ${mbs(putBlobMs)} MB/s; ratio ${(copyMs / putBlobMs).toFixed(2)}`);
  }
  await store.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}
