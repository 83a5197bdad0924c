/**
 * Minimal builders of OCI test content for the store tests (blobs, image manifests, indexes,
 * ORAS-style artifacts with a subject). Local to test/store until the shared helper lands.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Descriptor, OpenBlobSource } from '../../src/oci/content.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';

export interface TestBlob {
  descriptor: Descriptor;
  bytes: Buffer;
}

export function digestOf(bytes: Buffer): string {
  return 'sha256:' + createHash('sha256').update(bytes).digest('hex');
}

export function blob(bytes: Buffer, mediaType = OCI_LAYER): TestBlob {
  return { descriptor: { mediaType, digest: digestOf(bytes), size: bytes.length }, bytes };
}

export function randomBlob(size: number, mediaType = OCI_LAYER): TestBlob {
  return blob(randomBytes(size), mediaType);
}

/** A source serving `bytes` from any offset, recording the offsets asked. */
export function sourceOf(bytes: Buffer, asked: number[] = []): OpenBlobSource {
  return async (offset) => {
    asked.push(offset);
    return { stream: Readable.from(chunks(bytes.subarray(offset), 64 * 1024)), size: bytes.length, offset };
  };
}

function* chunks(bytes: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** A source whose first `failures` attempts break after `cutAt` bytes (a dropped connection). */
export function flakySource(bytes: Buffer, cutAt: number, asked: number[], failures = 1): OpenBlobSource {
  let failed = 0;
  return async (offset) => {
    asked.push(offset);
    if (failed >= failures) return sourceOf(bytes)(offset);
    failed++;
    const part = bytes.subarray(offset, Math.max(offset, cutAt));
    let sent = false;
    const stream = new Readable({
      read() {
        if (sent) return;
        sent = true;
        this.push(part);
        setImmediate(() => this.destroy(new Error('connection reset (test)')));
      },
    });
    return { stream, size: bytes.length, offset };
  };
}

export interface TestManifest {
  mediaType: string;
  body: Buffer;
  digest: string;
  descriptor: Descriptor;
}

function manifestOf(mediaType: string, json: unknown): TestManifest {
  const body = Buffer.from(JSON.stringify(json));
  const digest = digestOf(body);
  return { mediaType, body, digest, descriptor: { mediaType, digest, size: body.length } };
}

export function imageManifest(config: TestBlob, layers: TestBlob[], extra: Record<string, unknown> = {}): TestManifest {
  return manifestOf(OCI_MANIFEST, { schemaVersion: 2, mediaType: OCI_MANIFEST, config: config.descriptor, layers: layers.map((l) => l.descriptor), ...extra });
}

export function imageIndex(manifests: TestManifest[]): TestManifest {
  return manifestOf(OCI_INDEX, {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: manifests.map((m, i) => ({ ...m.descriptor, platform: { os: 'linux', architecture: i === 0 ? 'amd64' : 'arm64' } })),
  });
}

export const emptyConfig = blob(Buffer.from('{}'), OCI_EMPTY);

/** An ORAS-style artifact (empty config, one titled layer) whose subject is `subject`. */
export function artifact(subject: TestManifest, artifactType: string, file: TestBlob): TestManifest {
  return manifestOf(OCI_MANIFEST, {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType,
    config: emptyConfig.descriptor,
    layers: [{ ...file.descriptor, annotations: { 'org.opencontainers.image.title': 'file.txt' } }],
    subject: subject.descriptor,
    annotations: { 'org.example.kind': artifactType },
  });
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** Deterministic pseudo-random bytes (sha256 in counter mode), so two processes build the same blob. */
export function seededBytes(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0, block = 0; i < size; block++) {
    const h = createHash('sha256').update(`${seed}:${block}`).digest();
    i += h.copy(out, i);
  }
  return out;
}

/** A source that trickles `bytes` in chunks with a pause between them, calling `onChunk` with bytes sent. */
export function slowSource(bytes: Buffer, chunkSize: number, pauseMs: number, onChunk: (sent: number) => void = () => undefined): OpenBlobSource {
  return async (offset) => {
    let position = offset;
    const stream = new Readable({
      read() {
        if (position >= bytes.length) {
          this.push(null);
          return;
        }
        const end = Math.min(bytes.length, position + chunkSize);
        const chunk = bytes.subarray(position, end);
        position = end;
        setTimeout(() => {
          this.push(chunk);
          onChunk(position);
        }, pauseMs);
      },
    });
    return { stream, size: bytes.length, offset };
  };
}
