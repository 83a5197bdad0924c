/**
 * Packages as ORAS-style OCI artifacts (DESIGN.md section 3). One package version is one image
 * manifest in repository `<feed>/<component(name)>` (see names.ts), tagged `toTag(version)`
 * unless the format asks for its own tag (Debian: version and architecture):
 *
 *   { schemaVersion: 2, mediaType: application/vnd.oci.image.manifest.v1+json,
 *     artifactType: <format>, config: <metadata JSON, ferry media type>,
 *     layers: [<the package file, annotation org.opencontainers.image.title = file name>],
 *     annotations: { org.opencontainers.image.version: <exact version>,
 *                    vnd.ferry.package.name: <exact name> } }
 *
 * The manifest carries no timestamp, so publishing the same file and metadata twice gives the
 * same manifest digest (idempotent, and replicas agree byte for byte).
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { sha256Digest, type Descriptor } from '../../oci/index.js';
import type { Store, WriteContext } from '../../store/store.js';
import { isFerryError } from '../../errors/index.js';
import { feedError, FeedErrorCode } from './errors.js';
import { packageRepository, toTag } from './names.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const Annotation = {
  title: 'org.opencontainers.image.title',
  version: 'org.opencontainers.image.version',
  name: 'vnd.ferry.package.name',
} as const;
/** Config blobs larger than this are not read back (metadata is small; a bigger one is hostile). */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
const MAX_MANIFEST_BYTES = 64 * 1024;

export interface PackageFile {
  /** A local file whose digest and size were computed while it was written (spoolUpload). */
  path: string;
  digest: string;
  size: number;
}

export interface PutPackageInput<M> {
  feed: string;
  name: string;
  version: string;
  /** Tag to use instead of `toTag(version)` (must be tag-safe; e.g. version plus architecture). */
  tag?: string;
  /** Repository to use instead of `packageRepository(feed, name)` (generic files: a path). */
  repository?: string;
  fileName: string;
  fileMediaType: string;
  artifactType: string;
  configMediaType: string;
  metadata: M;
  file: PackageFile;
  /** Replace an existing tag that points at different content (default: FEED_CONFLICT). */
  overwrite?: boolean;
}

/** A stored package version as read back from the store. */
export interface PackageRecord<M = unknown> {
  feed: string;
  repository: string;
  tag: string;
  name: string;
  version: string;
  artifactType: string;
  manifestDigest: string;
  fileName: string;
  /** The layer: the package file's descriptor. */
  file: Descriptor;
  metadata: M;
}

function buildManifest<M>(input: PutPackageInput<M>, config: Descriptor): Buffer {
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: input.artifactType,
    config,
    layers: [{ mediaType: input.fileMediaType, digest: input.file.digest, size: input.file.size, annotations: { [Annotation.title]: input.fileName } }],
    annotations: { [Annotation.version]: input.version, [Annotation.name]: input.name },
  };
  return Buffer.from(JSON.stringify(manifest), 'utf8');
}

/**
 * Stores a package version: file layer, config blob, then the manifest and tag (the tag is the
 * last write, so a reader never sees a version whose blobs are missing). Throws FEED_CONFLICT if
 * the tag already points at a different manifest and `overwrite` is not set; publishing the same
 * content again is a no-op that returns the existing record.
 */
export async function putPackage<M>(store: Store, input: PutPackageInput<M>, context: WriteContext = {}): Promise<PackageRecord<M>> {
  const repository = input.repository ?? packageRepository(input.feed, input.name);
  const tag = input.tag ?? toTag(input.version);
  const configBody = Buffer.from(JSON.stringify(input.metadata), 'utf8');
  const config: Descriptor = {
    mediaType: input.configMediaType,
    digest: sha256Digest(configBody),
    size: configBody.length,
  };
  const body = buildManifest(input, config);
  const manifestDigest = sha256Digest(body);
  const existing = await store.manifestHead(repository, tag).catch(() => undefined);
  if (existing && existing.digest !== manifestDigest && !input.overwrite) {
    throw feedError(FeedErrorCode.conflict, 'this version already exists with different content', { name: input.name, version: input.version, tag });
  }
  const fileDescriptor: Descriptor = { mediaType: input.fileMediaType, digest: input.file.digest, size: input.file.size };
  if (existing?.digest !== manifestDigest) {
    await store.blobPut(repository, fileDescriptor, async (offset) => ({
      stream: createReadStream(input.file.path, { start: offset }),
      size: input.file.size,
      offset,
    }));
    await store.blobPut(repository, config, async (offset) => ({ stream: Readable.from([configBody.subarray(offset)]), size: configBody.length, offset }));
    await store.manifestPutWithContext(repository, tag, OCI_MANIFEST, body, context);
  }
  return {
    feed: input.feed,
    repository,
    tag,
    name: input.name,
    version: input.version,
    artifactType: input.artifactType,
    manifestDigest,
    fileName: input.fileName,
    file: { ...fileDescriptor, annotations: { [Annotation.title]: input.fileName } },
    metadata: input.metadata,
  };
}

interface ParsedManifest {
  artifactType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  annotations?: Record<string, string>;
}

async function readConfig(store: Store, repository: string, config: Descriptor): Promise<unknown> {
  if (config.size > MAX_CONFIG_BYTES) throw feedError(FeedErrorCode.invalidPackage, 'package metadata too large', { repository });
  const blob = await store.blobGet(repository, config.digest);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of blob.stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > MAX_CONFIG_BYTES) {
      blob.stream.destroy();
      throw feedError(FeedErrorCode.invalidPackage, 'package metadata too large', { repository });
    }
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/**
 * Reads a package version by repository and reference (tag or digest). Returns undefined when
 * it is absent or is not a ferry package artifact of `artifactType` (when given).
 */
export async function readPackage<M>(store: Store, repository: string, reference: string, artifactType?: string): Promise<PackageRecord<M> | undefined> {
  let fetched;
  try {
    fetched = await store.manifestGet(repository, reference);
  } catch (err) {
    if (isFerryError(err) && /UNKNOWN$/.test(err.code)) return undefined;
    throw err;
  }
  if (fetched.body.length > MAX_MANIFEST_BYTES) return undefined;
  const manifest = JSON.parse(fetched.body.toString('utf8')) as ParsedManifest;
  const layer = manifest.layers?.[0];
  const name = manifest.annotations?.[Annotation.name];
  const version = manifest.annotations?.[Annotation.version];
  if (!manifest.artifactType || !manifest.config || !layer || name === undefined || version === undefined) return undefined;
  if (artifactType !== undefined && manifest.artifactType !== artifactType) return undefined;
  const metadata = (await readConfig(store, repository, manifest.config)) as M;
  const slash = repository.indexOf('/');
  return {
    feed: repository.slice(0, slash),
    repository,
    tag: reference.startsWith('sha256:') ? '' : reference,
    name,
    version,
    artifactType: manifest.artifactType,
    manifestDigest: fetched.descriptor.digest,
    fileName: layer.annotations?.[Annotation.title] ?? name,
    file: layer,
    metadata,
  };
}

/** A package version by name and version (or explicit tag); undefined when absent. */
export async function getPackage<M>(store: Store, feed: string, name: string, version: string, options: { tag?: string; artifactType?: string } = {}): Promise<PackageRecord<M> | undefined> {
  return readPackage<M>(store, packageRepository(feed, name), options.tag ?? toTag(version), options.artifactType);
}

/**
 * Deletes a package version: removes its tag, and the manifest too when no other tag points at
 * it (the blobs go at the next GC). Returns false when the version did not exist.
 */
export async function deletePackage(store: Store, feed: string, name: string, version: string, context: WriteContext = {}, options: { tag?: string } = {}): Promise<boolean> {
  const repository = packageRepository(feed, name);
  const tag = options.tag ?? toTag(version);
  const record = await store.tagGet(repository, tag);
  if (!record) return false;
  const others = (await store.tagRecords({ repository })).filter((t) => t.digest === record.digest && t.tag !== tag);
  if (others.length > 0) return store.tagDelete(repository, tag, context);
  return store.manifestDelete(repository, record.digest, context);
}

/**
 * Every package version of a feed, read from the store (one manifest and one config read per
 * version). Views serve from a PackageIndex (package-index.ts) instead; this is for tools.
 */
export async function listPackages<M>(store: Store, feed: string, options: { artifactType?: string } = {}): Promise<PackageRecord<M>[]> {
  const out: PackageRecord<M>[] = [];
  for (const tag of await store.tagRecords({ feed })) {
    const record = await readPackage<M>(store, tag.repository, tag.tag, options.artifactType);
    if (record) out.push({ ...record, tag: tag.tag });
  }
  return out;
}
