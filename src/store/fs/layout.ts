/**
 * The fs store's directory (an OCI image layout, image-spec image-layout.md, plus ferry's files):
 *
 *   <dir>/oci-layout              {"imageLayoutVersion":"1.0.0"}
 *   <dir>/index.json              empty index (tags live in SQLite, not here)
 *   <dir>/blobs/sha256/<hex>      every blob and manifest, once, shared by all feeds (dedup)
 *   <dir>/partial/<hex>           interrupted downloads kept for resume (+ `<hex>.lock` while written)
 *   <dir>/ferry.db (+ -wal, -shm) metadata, change log, leases
 *
 * A file under `blobs/` is complete and verified: it only gets there by an atomic rename after
 * its sha256 and size were checked (src/util/blob-file.ts).
 */
import { mkdir, open, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { storeError, StoreErrorCode } from '../errors.js';
import { sha256Digest, MAX_MANIFEST_BYTES } from '../manifest.js';
import { digestHex } from '../names.js';

export interface Layout {
  dir: string;
  blobsDir: string;
  partialDir: string;
  dbPath: string;
  blobPath(digest: string): string;
  partialPath(digest: string): string;
}

export function layoutOf(dir: string): Layout {
  const blobsDir = join(dir, 'blobs', 'sha256');
  const partialDir = join(dir, 'partial');
  return {
    dir,
    blobsDir,
    partialDir,
    dbPath: join(dir, 'ferry.db'),
    blobPath: (digest) => join(blobsDir, digestHex(digest)),
    partialPath: (digest) => join(partialDir, digestHex(digest)),
  };
}

/** Creates the directories and the layout marker files if missing (idempotent, safe to race). */
export async function initLayout(layout: Layout): Promise<void> {
  await mkdir(layout.blobsDir, { recursive: true });
  await mkdir(layout.partialDir, { recursive: true });
  await writeIfAbsent(join(layout.dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}\n');
  await writeIfAbsent(join(layout.dir, 'index.json'), '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}\n');
}

async function writeIfAbsent(path: string, text: string): Promise<void> {
  try {
    await writeFile(path, text, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/** Size of the file, or undefined when it does not exist. */
export async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Reads a stored manifest and verifies its size and digest (trust nothing on disk). */
export async function readManifestFile(layout: Layout, digest: string, size: number): Promise<Buffer> {
  if (size > MAX_MANIFEST_BYTES) throw storeError(StoreErrorCode.corrupt, 'stored manifest exceeds the size limit', { digest, size });
  let body: Buffer;
  try {
    const handle = await open(layout.blobPath(digest), 'r');
    try {
      body = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw storeError(StoreErrorCode.corrupt, 'manifest file missing from the store', { digest }, err);
    throw err;
  }
  if (body.length !== size || sha256Digest(body) !== digest) throw storeError(StoreErrorCode.corrupt, 'stored manifest does not match its digest', { digest });
  return body;
}
