import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFsStore } from '../../src/store/index.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('fs', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-fs-store-'));
  const store = await createFsStore({ dir });
  return {
    store,
    resumesBlobs: true,
    async cleanup() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
