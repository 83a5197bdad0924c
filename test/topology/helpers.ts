/** Test helpers: topologies written to real temp dirs, and the markers the case table uses. */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const HASH_A = 'a'.repeat(64);
export const HASH_B = 'b'.repeat(64);
export const HASH_C = 'c'.repeat(64);

/** A valid topology the cases build on: hub (url, read+write rules), store-1 (url, write rule), store-2 (no url, no rules). */
export const BASE = `apiVersion: ferry/v1
kind: Site
metadata:
  name: hub
  labels: {role: hub}
spec:
  url: https://hub.example.net
  incoming:
    - name: stores
      tokenSha256: ${HASH_A}
      access: read
      feeds: ["*"]
    - name: pushers
      tokenSha256: ${HASH_B}
      access: write
      feeds: ["*"]
---
apiVersion: ferry/v1
kind: Site
metadata:
  name: store-1
  labels: {role: store}
spec:
  url: https://store-1.example.net
  incoming:
    - name: hub-push
      tokenSha256: ${HASH_C}
      access: write
      feeds: ["*"]
---
apiVersion: ferry/v1
kind: Site
metadata:
  name: store-2
  labels: {role: store}
spec: {}
---
apiVersion: ferry/v1
kind: Feed
metadata: {name: images}
spec: {type: oci, sites: [hub]}
---
apiVersion: ferry/v1
kind: Feed
metadata: {name: store-images}
spec: {type: oci, siteSelector: {matchLabels: {role: store}}}
---
apiVersion: ferry/v1
kind: Feed
metadata: {name: debs}
spec: {type: debian, sites: [hub, store-1, store-2]}
`;

export type Files = Record<string, string | Buffer>;

/** Writes files (relative paths) into a fresh temp dir; returns the dir. */
export async function writeTopology(files: Files): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-topology-'));
  for (const [rel, content] of Object.entries(files)) {
    const abs = join(dir, rel);
    await mkdir(dirname(abs), { recursive: true });
    await writeFile(abs, content);
  }
  return dir;
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/**
 * Where a case expects its issue: the line holding the `#<` marker (in any file) and the
 * column of the `at` text on that line (the first occurrence).
 */
export function expectedPosition(files: Files, at: string): { file: string; line: number; column: number } {
  for (const [file, content] of Object.entries(files)) {
    if (typeof content !== 'string') continue;
    const lines = content.split('\n');
    const i = lines.findIndex((l) => l.includes('#<'));
    if (i < 0) continue;
    const col = lines[i]!.indexOf(at);
    if (col < 0) throw new Error(`marker line in ${file} does not contain ${JSON.stringify(at)}`);
    return { file, line: i + 1, column: col + 1 };
  }
  throw new Error('no #< marker in the case');
}
