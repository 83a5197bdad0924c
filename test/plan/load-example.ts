/** Loads an example directory of the repository for plan tests. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTopologyDir, type LoadResult } from '../../src/topology/index.js';

export const examplesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples');
export const exampleNames = ['hub-and-spoke', 'multi-hub', 'disaster-recovery', 'edge-constraints'] as const;

export function loadExample(name: (typeof exampleNames)[number]): Promise<LoadResult> {
  return loadTopologyDir(path.join(examplesDir, name));
}
