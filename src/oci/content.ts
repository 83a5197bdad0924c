/**
 * Content capabilities shared by every place OCI content lives: a remote registry (src/oci
 * client), the embedded fs store and the registry-backed store (src/store). One copy algorithm
 * (`copy()` in src/oci) works over these interfaces, so every transfer in ferry — registry to
 * layout, hub to spoke, upstream to hub — is the same code (oras-go's Fetcher/Pusher/TagResolver).
 *
 * Repositories are full names inside the target (`<feed>/<repository>` in a ferry store,
 * `library/nginx` on a registry). References are a tag or a digest (`sha256:<hex>`).
 *
 * THIS FILE IS A CONTRACT between src/oci, src/store and src/server: extend it, do not change
 * existing signatures without updating every implementation.
 */
import type { Readable } from 'node:stream';

/** OCI descriptor (image-spec descriptor.md), with the optional fields ferry keeps. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  artifactType?: string;
  platform?: Platform;
  urls?: string[];
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

/** A manifest as fetched: its descriptor (digest of the exact bytes) and the bytes. */
export interface FetchedManifest {
  descriptor: Descriptor;
  /** Exact bytes as stored; never re-serialised (the digest is over these bytes). */
  body: Buffer;
}

/** A readable blob stream starting at `offset`, with the blob's total size. */
export interface BlobStream {
  stream: Readable;
  /** Total size of the blob (not of the remaining range). */
  size: number;
  /** Offset the stream starts at (0 unless a range was asked and honoured). */
  offset: number;
  /**
   * Optional fast path (registry downloads): delivers the same bytes as `stream` to `sink`
   * without copies. A chunk is only valid until the sink returns or, when it returns a promise,
   * until that settles (its memory is reused). Resolves after the last chunk was taken; rejects
   * as the stream would error, or with an abort error when `signal` aborts. A consumer uses
   * `pull` or `stream`, never both.
   */
  pull?: (sink: BlobSink, signal?: AbortSignal) => Promise<void>;
}

/** Takes one chunk of a blob; see `BlobStream.pull`. */
export type BlobSink = (chunk: Buffer) => void | Promise<void>;

export interface TagPage {
  tags: string[];
  /** Pass as `last` to get the next page; undefined when this was the last page. */
  next?: string;
}

/** Read side. */
export interface ContentReader {
  /** Resolves a tag or digest to the manifest bytes. Throws OCI_MANIFEST_UNKNOWN if absent. */
  manifestGet(repository: string, reference: string): Promise<FetchedManifest>;
  /** Descriptor of a manifest by tag or digest, or undefined if absent (cheap: HEAD). */
  manifestHead(repository: string, reference: string): Promise<Descriptor | undefined>;
  /** Size of the blob if present, undefined if absent. */
  blobHead(repository: string, digest: string): Promise<number | undefined>;
  /** Opens the blob from `offset` (default 0). Throws OCI_BLOB_UNKNOWN if absent. */
  blobGet(repository: string, digest: string, options?: { offset?: number }): Promise<BlobStream>;
  /** One page of tags, in lexical order where the backend can. */
  tagList(repository: string, options?: { last?: string; n?: number }): Promise<TagPage>;
  /** Manifests whose `subject` is `digest` (referrers API, or the `sha256-<hex>` tag fallback). */
  referrers(repository: string, digest: string, options?: { artifactType?: string }): Promise<Descriptor[]>;
}

/** Opens the source of a blob at `offset`; called by a writer that may already hold a prefix. */
export type OpenBlobSource = (offset: number) => Promise<BlobStream>;

/** Write side. */
export interface ContentWriter {
  /**
   * Stores the blob described by `descriptor`, reading it through `open`. The writer decides the
   * offset to resume from (what it already holds of a previous, interrupted attempt) and calls
   * `open(offset)` once per attempt. Size and digest are verified before the blob becomes
   * visible; a mismatch throws OCI_BLOB_DIGEST_MISMATCH / OCI_BLOB_SIZE_MISMATCH and nothing is
   * stored. A blob already present is not fetched again. Returns the bytes actually transferred.
   */
  blobPut(repository: string, descriptor: Descriptor, open: OpenBlobSource, options?: { signal?: AbortSignal }): Promise<{ transferred: number }>;
  /**
   * Makes a blob that exists in `fromRepository` of the same target available in `repository`
   * without transfer. Returns false when the target cannot (then the caller uploads).
   */
  blobMount(repository: string, fromRepository: string, digest: string): Promise<boolean>;
  /**
   * Stores a manifest under its digest and, if `reference` is a tag, points the tag at it.
   * Verifies that every blob and child manifest it references is present. Returns its descriptor.
   */
  manifestPut(repository: string, reference: string, mediaType: string, body: Buffer): Promise<Descriptor>;
}

/** A place content can be copied from and to. */
export interface ContentTarget extends ContentReader, ContentWriter {
  /** For logs and errors; never contains credentials. */
  readonly description: string;
}
