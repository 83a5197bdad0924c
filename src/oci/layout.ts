/**
 * A plain OCI image layout (image-spec image-layout.md) as a ContentTarget, compatible with
 * skopeo's `oci:DIR[:tag]`: `oci-layout`, `index.json` whose entries carry the tag in the
 * `org.opencontainers.image.ref.name` annotation, blobs (manifests included) in `blobs/sha256/`.
 *
 * A layout holds one repository: the `repository` argument of every method is ignored.
 * Blobs are written by writeBlobFile (verified, fsynced, renamed; partials kept for resume in the
 * hidden `.ferry-partial/` directory, which image-layout readers ignore). `index.json` is
 * replaced atomically (temp file + fsync + rename); its read-modify-write updates are serialised
 * within this process and, between ferry processes, by the lock file
 * `.ferry-partial/index.json.lock` (the spec has no lock: other tools writing the same layout at
 * the same moment are not covered).
 * Referrers use the `sha256-<hex>` tag schema inside index.json (a layout has no API).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FerryError } from '../errors/index.js';
import { writeBlobFile } from '../util/blob-file.js';
import { acquireFileLock } from '../util/file-lock.js';
import type { BlobStream, ContentTarget, Descriptor, FetchedManifest, TagPage } from './content.js';
import { OciErrorCode } from './errors.js';
import { parseManifest, referrersTag, sha256Digest } from './manifest.js';
import { MANIFEST_SIZE_LIMIT, MediaType } from './media-types.js';
import { DIGEST, isDigest, isValidTag } from './reference.js';

export const REF_NAME = 'org.opencontainers.image.ref.name';
const INDEX_LOCK_STALE_MS = 60_000;

interface LayoutIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export interface LayoutTarget extends ContentTarget {
  readonly path: string;
  /** The descriptors listed in index.json. */
  entries(): Promise<Descriptor[]>;
}

function blobPath(root: string, digest: string): string {
  if (!DIGEST.test(digest)) throw new FerryError(OciErrorCode.digestInvalid, `invalid digest ${JSON.stringify(digest)}`, { data: { digest } });
  return join(root, 'blobs', 'sha256', digest.slice('sha256:'.length));
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function writeAtomic(path: string, data: Buffer): Promise<void> {
  const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
}

export function createLayoutTarget(path: string): LayoutTarget {
  let initialised: Promise<void> | undefined;
  let indexQueue: Promise<unknown> = Promise.resolve();
  const unknownManifest = (reference: string): FerryError =>
    new FerryError(OciErrorCode.manifestUnknown, `manifest ${reference} not found in layout ${path}`, { data: { reference, path } });

  const init = (): Promise<void> =>
    (initialised ??= (async () => {
      await mkdir(join(path, 'blobs', 'sha256'), { recursive: true });
      if ((await sizeOf(join(path, 'oci-layout'))) === undefined) await writeAtomic(join(path, 'oci-layout'), Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
      if ((await sizeOf(join(path, 'index.json'))) === undefined) await writeAtomic(join(path, 'index.json'), Buffer.from(JSON.stringify(emptyIndex())));
    })());

  const emptyIndex = (): LayoutIndex => ({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] });

  const readIndex = async (): Promise<LayoutIndex> => {
    let text: string;
    try {
      text = await readFile(join(path, 'index.json'), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyIndex();
      throw err;
    }
    try {
      const index = JSON.parse(text) as LayoutIndex;
      if (!Array.isArray(index.manifests)) throw new Error('no manifests');
      return index;
    } catch {
      throw new FerryError(OciErrorCode.layoutInvalid, `index.json of layout ${path} is invalid`, { data: { path } });
    }
  };

  /** Read-modify-write of index.json, serialised in this process and by a lock file between processes. */
  const updateIndex = (change: (index: LayoutIndex) => void): Promise<void> => {
    const run = indexQueue.then(async () => {
      await init();
      await mkdir(join(path, '.ferry-partial'), { recursive: true });
      const release = await acquireFileLock(join(path, '.ferry-partial', 'index.json.lock'), {
        abortError: () => new FerryError('ABORTED', `aborted while waiting for the index lock of layout ${path}`),
        // An update takes milliseconds: a live holder silent this long is a reused pid.
        staleMs: INDEX_LOCK_STALE_MS,
        pollMs: 10,
      });
      try {
        const index = await readIndex();
        change(index);
        await writeAtomic(join(path, 'index.json'), Buffer.from(JSON.stringify(index)));
      } finally {
        await release();
      }
    });
    indexQueue = run.catch(() => undefined);
    return run;
  };

  const findTag = async (tag: string): Promise<Descriptor | undefined> => (await readIndex()).manifests.find((m) => m.annotations?.[REF_NAME] === tag);

  const resolve = async (reference: string): Promise<{ digest: string; mediaType?: string } | undefined> => {
    if (isDigest(reference)) return (await sizeOf(blobPath(path, reference))) === undefined ? undefined : { digest: reference };
    const entry = await findTag(reference);
    return entry ? { digest: entry.digest, mediaType: entry.mediaType } : undefined;
  };

  const manifestGet = async (_repository: string, reference: string): Promise<FetchedManifest> => {
    const found = await resolve(reference);
    if (!found) throw unknownManifest(reference);
    const file = blobPath(path, found.digest);
    const size = await sizeOf(file);
    if (size === undefined) throw unknownManifest(reference);
    if (size > MANIFEST_SIZE_LIMIT) throw new FerryError(OciErrorCode.manifestTooLarge, `manifest ${reference} is larger than ${MANIFEST_SIZE_LIMIT} bytes`, { data: { reference, path } });
    const body = await readFile(file);
    const digest = sha256Digest(body);
    if (digest !== found.digest) {
      throw new FerryError(OciErrorCode.manifestDigestMismatch, `manifest ${found.digest} in layout ${path} is corrupt`, { data: { digest: found.digest, actual: digest } });
    }
    const parsed = parseManifest(body, found.mediaType, { reference, path });
    const descriptor: Descriptor = { mediaType: parsed.mediaType, digest, size: body.length };
    if (parsed.artifactType) descriptor.artifactType = parsed.artifactType;
    return { descriptor, body };
  };

  const manifestHead = async (repository: string, reference: string): Promise<Descriptor | undefined> => {
    if (!isDigest(reference)) {
      const entry = await findTag(reference);
      if (!entry) return undefined;
      if ((await sizeOf(blobPath(path, entry.digest))) === undefined) return undefined;
      return { mediaType: entry.mediaType, digest: entry.digest, size: entry.size };
    }
    if ((await sizeOf(blobPath(path, reference))) === undefined) return undefined;
    return (await manifestGet(repository, reference)).descriptor;
  };

  const blobGet = async (_repository: string, digest: string, options: { offset?: number } = {}): Promise<BlobStream> => {
    const file = blobPath(path, digest);
    const size = await sizeOf(file);
    if (size === undefined) throw new FerryError(OciErrorCode.blobUnknown, `blob ${digest} not found in layout ${path}`, { data: { digest, path } });
    const offset = Math.min(options.offset ?? 0, size);
    return { stream: createReadStream(file, { start: offset, highWaterMark: 1024 * 1024 }), size, offset };
  };

  const blobPut = async (_repository: string, descriptor: Descriptor, openSource: (offset: number) => Promise<BlobStream>, options: { signal?: AbortSignal } = {}) => {
    // The layout's metadata files are written (and fsynced) while the blob transfers, not before:
    // writeBlobFile creates its own directories. Both must succeed before this returns.
    const ready = init();
    ready.catch(() => undefined);
    const hex = descriptor.digest.slice('sha256:'.length);
    const written = await writeBlobFile({
      finalPath: blobPath(path, descriptor.digest),
      partialPath: join(path, '.ferry-partial', 'sha256', hex),
      digest: descriptor.digest,
      size: descriptor.size,
      open: openSource,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    await ready;
    return written;
  };

  const manifestPut = async (repository: string, reference: string, mediaType: string, body: Buffer): Promise<Descriptor> => {
    if (body.length > MANIFEST_SIZE_LIMIT) throw new FerryError(OciErrorCode.manifestTooLarge, `manifest is larger than ${MANIFEST_SIZE_LIMIT} bytes`, { data: { reference } });
    const digest = sha256Digest(body);
    if (isDigest(reference) && reference !== digest) {
      throw new FerryError(OciErrorCode.manifestDigestMismatch, `manifest hashes to ${digest}, not ${reference}`, { data: { expected: reference, actual: digest } });
    }
    if (!isDigest(reference) && !isValidTag(reference)) throw new FerryError(OciErrorCode.referenceInvalid, `invalid tag ${JSON.stringify(reference)}`, { data: { reference } });
    const parsed = parseManifest(body, mediaType, { reference });
    for (const child of [...parsed.manifests, ...parsed.blobs]) {
      if ((await sizeOf(blobPath(path, child.digest))) === undefined) {
        throw new FerryError(OciErrorCode.manifestInvalid, `manifest references ${child.digest}, which layout ${path} does not hold`, { data: { reference, digest: child.digest } });
      }
    }
    const descriptor: Descriptor = { mediaType: parsed.mediaType, digest, size: body.length };
    await blobPut(repository, descriptor, async () => ({ stream: Readable.from([body]), size: body.length, offset: 0 }));
    if (!isDigest(reference)) await setTag(reference, descriptor);
    if (parsed.subject) await addReferrer(parsed.subject.digest, descriptor, parsed, body);
    if (parsed.artifactType) descriptor.artifactType = parsed.artifactType;
    return descriptor;
  };

  const setTag = (tag: string, descriptor: Descriptor): Promise<void> =>
    updateIndex((index) => {
      index.manifests = index.manifests.filter((m) => m.annotations?.[REF_NAME] !== tag);
      index.manifests.push({ mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size, annotations: { [REF_NAME]: tag } });
    });

  const addReferrer = async (subject: string, descriptor: Descriptor, parsed: ReturnType<typeof parseManifest>, body: Buffer): Promise<void> => {
    const existing = await referrers('', subject);
    if (existing.some((d) => d.digest === descriptor.digest)) return;
    const json = JSON.parse(body.toString('utf8')) as { annotations?: Record<string, string>; config?: { mediaType?: string } };
    const entry: Descriptor = { mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size };
    const artifactType = parsed.artifactType ?? json.config?.mediaType;
    if (artifactType) entry.artifactType = artifactType;
    if (json.annotations) entry.annotations = json.annotations;
    const indexBody = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [...existing, entry] }));
    await manifestPut('', referrersTag(subject), MediaType.ociIndex, indexBody);
  };

  const referrers = async (_repository: string, digest: string, options: { artifactType?: string } = {}): Promise<Descriptor[]> => {
    const entry = await findTag(referrersTag(digest));
    if (!entry) return [];
    const { body } = await manifestGet('', entry.digest);
    const list = parseManifest(body, MediaType.ociIndex).manifests;
    return options.artifactType ? list.filter((d) => d.artifactType === options.artifactType) : list;
  };

  const tagList = async (_repository: string, options: { last?: string; n?: number } = {}): Promise<TagPage> => {
    const all = [...new Set((await readIndex()).manifests.map((m) => m.annotations?.[REF_NAME]).filter((t): t is string => !!t))].sort();
    const after = options.last === undefined ? all : all.filter((t) => t > (options.last as string));
    const page = options.n === undefined ? after : after.slice(0, options.n);
    const last = page[page.length - 1];
    return page.length < after.length && last !== undefined ? { tags: page, next: last } : { tags: page };
  };

  return {
    description: `oci layout ${path}`,
    path,
    entries: async () => (await readIndex()).manifests,
    manifestGet,
    manifestHead,
    blobHead: async (_repository, digest) => sizeOf(blobPath(path, digest)),
    blobGet,
    tagList,
    referrers,
    blobPut,
    blobMount: async () => false,
    manifestPut,
  };
}

/** sha256 of a file, streamed (tests and tools verifying a layout). */
export async function digestFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}
