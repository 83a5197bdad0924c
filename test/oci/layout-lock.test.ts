/**
 * OCI layout index.json between processes: real child processes tag the same layout at once and
 * no tag is lost; a lock left by a killed process is taken over; a live holder is waited for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { createLayoutTarget, MediaType, sha256Digest, type Descriptor } from '../../src/oci/index.js';

const TAGGER = fileURLToPath(new URL('./fixtures/layout-tagger.ts', import.meta.url));

function runTagger(args: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', TAGGER, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('close', resolve);
  });
}

describe('OCI layout index.json across processes', () => {
  let dir: string;
  let manifest: string;
  const config = Buffer.from('{}');
  const configDescriptor: Descriptor = { mediaType: MediaType.ociEmpty, digest: sha256Digest(config), size: config.length };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-layout-lock-'));
    manifest = JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: configDescriptor, layers: [] });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function freshLayout(name: string) {
    const layout = createLayoutTarget(join(dir, name));
    await layout.blobPut('', configDescriptor, async () => ({ stream: Readable.from([config]), size: config.length, offset: 0 }));
    return layout;
  }

  it('keeps every tag when four processes tag one layout at the same time', async () => {
    const layout = await freshLayout('shared');
    const codes = await Promise.all(['a', 'b', 'c', 'd'].map((prefix) => runTagger([layout.path, prefix, '15', manifest])));
    expect(codes).toEqual([0, 0, 0, 0]);
    const tags = (await layout.tagList('')).tags;
    expect(tags).toHaveLength(60);
    for (const prefix of ['a', 'b', 'c', 'd']) for (let i = 0; i < 15; i++) expect(tags).toContain(`${prefix}-${i}`);
  }, 60_000);

  it('takes over the lock of a process that is gone', async () => {
    const layout = await freshLayout('stale');
    await layout.manifestPut('', 'first', MediaType.ociManifest, Buffer.from(manifest));
    // A pid that cannot be alive (above the kernel's pid_max).
    await writeFile(join(layout.path, '.ferry-partial', 'index.json.lock'), '4194305');
    await layout.manifestPut('', 'second', MediaType.ociManifest, Buffer.from(manifest));
    expect((await layout.tagList('')).tags).toEqual(['first', 'second']);
  });

  it('waits while a live process holds the lock', async () => {
    const layout = await freshLayout('held');
    await layout.manifestPut('', 'first', MediaType.ociManifest, Buffer.from(manifest));
    const lock = join(layout.path, '.ferry-partial', 'index.json.lock');
    await writeFile(lock, String(process.pid));
    let done = false;
    const put = layout.manifestPut('', 'second', MediaType.ociManifest, Buffer.from(manifest)).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(done).toBe(false);
    expect((await layout.tagList('')).tags).toEqual(['first']);
    await unlink(lock);
    await put;
    expect((await layout.tagList('')).tags).toEqual(['first', 'second']);
  });
});
