/**
 * Builders of test OCI content, pushed with ferry's own client (no ORAS/crane here): images with
 * random layers, multi-arch indexes, ORAS-style artifacts (artifactType, the empty config
 * `application/vnd.oci.empty.v1+json`, a `subject`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ContentTarget, Descriptor, Platform } from '../../src/oci/index.js';
import { MediaType } from '../../src/oci/index.js';

export interface BuiltBlob {
  descriptor: Descriptor;
  data: Buffer;
}

export interface BuiltManifest {
  descriptor: Descriptor;
  body: Buffer;
  blobs: BuiltBlob[];
  children: BuiltManifest[];
}

export const sha256 = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

export function blob(data: Buffer, mediaType: string, annotations?: Record<string, string>): BuiltBlob {
  const descriptor: Descriptor = { mediaType, digest: sha256(data), size: data.length };
  if (annotations) descriptor.annotations = annotations;
  return { descriptor, data };
}

function manifest(json: object, mediaType: string, blobs: BuiltBlob[], children: BuiltManifest[] = []): BuiltManifest {
  const body = Buffer.from(JSON.stringify(json));
  return { descriptor: { mediaType, digest: sha256(body), size: body.length }, body, blobs, children };
}

export interface ImageOptions {
  layers?: number[];
  platform?: Platform;
  docker?: boolean;
  annotations?: Record<string, string>;
}

/** An image with random layers (not real tars: registries do not look inside). */
export function randomImage({ layers = [1024, 4096], platform = { os: 'linux', architecture: 'amd64' }, docker = false, annotations }: ImageOptions = {}): BuiltManifest {
  const config = blob(
    Buffer.from(JSON.stringify({ architecture: platform.architecture, os: platform.os, rootfs: { type: 'layers', diff_ids: [] }, nonce: randomBytes(8).toString('hex') })),
    docker ? MediaType.dockerConfig : MediaType.ociConfig,
  );
  const layerBlobs = layers.map((size) => blob(randomBytes(size), docker ? MediaType.dockerLayerGzip : MediaType.ociLayerGzip));
  const mediaType = docker ? MediaType.dockerManifest : MediaType.ociManifest;
  const json: Record<string, unknown> = { schemaVersion: 2, mediaType, config: config.descriptor, layers: layerBlobs.map((l) => l.descriptor) };
  if (annotations) json.annotations = annotations;
  return manifest(json, mediaType, [config, ...layerBlobs]);
}

/** An OCI index over one random image per platform (`linux/amd64`, `linux/arm64/v8` …). */
export function multiArchIndex(platforms: string[], layers: number[] = [2048]): BuiltManifest {
  const children = platforms.map((text) => {
    const [os = 'linux', architecture = 'amd64', variant] = text.split('/');
    const platform: Platform = variant ? { os, architecture, variant } : { os, architecture };
    const image = randomImage({ layers, platform });
    image.descriptor = { ...image.descriptor, platform };
    return image;
  });
  const json = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: children.map((c) => c.descriptor) };
  return manifest(json, MediaType.ociIndex, [], children);
}

export const emptyConfig = (): BuiltBlob => blob(Buffer.from('{}'), MediaType.ociEmpty);

/** An ORAS-style artifact: `artifactType`, empty config, files as layers with a title, optional subject. */
export function artifact({ artifactType, files, subject }: { artifactType: string; files: Array<{ name: string; data: Buffer }>; subject?: Descriptor }): BuiltManifest {
  const config = emptyConfig();
  const layers = files.map((f) => blob(f.data, 'application/octet-stream', { 'org.opencontainers.image.title': f.name }));
  const json: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType,
    config: config.descriptor,
    layers: layers.map((l) => l.descriptor),
  };
  if (subject) json.subject = { mediaType: subject.mediaType, digest: subject.digest, size: subject.size };
  const built = manifest(json, MediaType.ociManifest, [config, ...layers]);
  built.descriptor.artifactType = artifactType;
  return built;
}

export function openBuffer(data: Buffer) {
  return async (offset: number) => ({ stream: Readable.from([data.subarray(offset)]), size: data.length, offset });
}

/** Pushes blobs, then children, then the manifest (with `tag`, else by digest). */
export async function pushBuilt(target: ContentTarget, repository: string, built: BuiltManifest, tag?: string): Promise<Descriptor> {
  for (const b of built.blobs) await target.blobPut(repository, b.descriptor, openBuffer(b.data));
  for (const child of built.children) await pushBuilt(target, repository, child);
  return target.manifestPut(repository, tag ?? built.descriptor.digest, built.descriptor.mediaType, built.body);
}

/** Every blob of a built graph (for assertions). */
export function allBlobs(built: BuiltManifest): BuiltBlob[] {
  return [...built.blobs, ...built.children.flatMap(allBlobs)];
}
