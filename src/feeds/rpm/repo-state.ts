/**
 * The per-feed state of the rpm view: the rendered repodata of every package version, kept
 * current from the feed's PackageIndex (which follows the store's change log).
 *
 * Contract:
 * - A package's three XML fragments are rendered from its stored metadata (never by re-reading
 *   the .rpm) when its bucket changes; a new upload re-renders the ~N/256 packages of one bucket.
 * - `repodata()` returns one consistent generation: repomd.xml and the three files it names,
 *   built at most once per index generation. The previous generation stays servable, so a
 *   client that read repomd.xml just before an upload still gets the files it names.
 * - Packages are spread over BUCKETS by a hash of their repository and tag, and ordered by bucket
 *   then key, so the output does not depend on upload order (two replicas with the same packages
 *   serve the same bytes, apart from timestamps). Each bucket is one gzip member, cached: an
 *   upload re-compresses one bucket, not the feed (the cost of a new generation grows with the
 *   feed only through concatenating and hashing the cached members).
 */
import { createHash } from 'node:crypto';
import type { PackageIndex, PackageRecord } from '../artifact/index.js';
import type { RpmPackageMeta } from './metadata.js';
import {
  assembleRepodataFile,
  compressBlock,
  REPODATA_KINDS,
  renderPackage,
  renderRepomd,
  repodataHref,
  type CompressedBlock,
  type PackageFragments,
  type RepodataFile,
  type RepodataKind,
} from './repodata.js';

/** Number of gzip blocks a feed's repodata is cut into (~80 packages each at 20,000 packages). */
export const BUCKETS = 256;

function bucketOf(key: string): number {
  return createHash('sha1').update(key).digest().readUInt32BE(0) % BUCKETS;
}

type Blocks = Record<RepodataKind, CompressedBlock>;

export interface RepodataGeneration {
  generation: number;
  repomd: Buffer;
  /** `repodata/<sha>-<kind>.xml.gz` and `repodata/<kind>.xml.gz` → file. */
  files: Map<string, RepodataFile>;
  /** Detached ASCII-armoured signature of `repomd`, when the feed signs. */
  repomdSignature?: string;
}

function sortedKeys(entries: Map<string, PackageRecord<RpmPackageMeta>>): string[] {
  return [...entries.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** `Packages/<file name>` under which a package is served (its `location href`). */
export function packageHref(meta: RpmPackageMeta): string {
  return `Packages/${meta.fileName}`;
}

/**
 * The fragments of a package, or undefined when its metadata is not what this version of ferry
 * writes (a config blob from elsewhere): such a package is left out of the repodata instead of
 * breaking the whole feed's view.
 */
function safeRender(meta: RpmPackageMeta): PackageFragments | undefined {
  try {
    if (typeof meta.fileName !== 'string' || !/^[^/\\]+\.rpm$/.test(meta.fileName)) return undefined;
    return renderPackage(meta, packageHref(meta), meta.buildTime);
  } catch {
    return undefined;
  }
}

export class RpmRepoState {
  /** bucket → (repository:tag → record); fragments are re-rendered when a bucket changes. */
  private readonly buckets = new Map<number, Map<string, PackageRecord<RpmPackageMeta>>>();
  private readonly blocks = new Map<number, Blocks>();
  private readonly dirty = new Set<number>();
  private count = 0;
  private readonly byFileName = new Map<string, PackageRecord<RpmPackageMeta>>();
  private current: RepodataGeneration | undefined;
  private previous: RepodataGeneration | undefined;
  private building: Promise<RepodataGeneration> | undefined;

  constructor(
    readonly index: PackageIndex<RpmPackageMeta>,
    private readonly sign?: (data: Buffer) => Promise<string>,
  ) {
    index.subscribe((event) => {
      const key = `${event.record.repository}:${event.record.tag}`;
      const meta = event.record.metadata;
      const bucket = bucketOf(key);
      let entries = this.buckets.get(bucket);
      if (!entries) this.buckets.set(bucket, (entries = new Map()));
      if (entries.delete(key)) this.count--;
      if (event.type === 'add' && safeRender(meta)) {
        entries.set(key, event.record);
        this.count++;
        this.byFileName.set(meta.fileName, event.record);
      } else if (this.byFileName.get(meta.fileName) === event.record) {
        this.byFileName.delete(meta.fileName);
      }
      this.dirty.add(bucket);
    });
  }

  /** The package served as `Packages/<fileName>`, after a refresh. */
  packageByFileName(fileName: string): PackageRecord<RpmPackageMeta> | undefined {
    return this.byFileName.get(fileName);
  }

  /** Refreshes the index and returns the current generation (built if the index changed). */
  async repodata(): Promise<RepodataGeneration> {
    await this.index.refresh();
    if (this.current?.generation === this.index.generation) return this.current;
    this.building ??= this.build().finally(() => {
      this.building = undefined;
    });
    return this.building;
  }

  /** A repodata file of the current or the previous generation, by its path under `repodata/`. */
  async file(name: string): Promise<RepodataFile | undefined> {
    const gen = await this.repodata();
    return gen.files.get(name) ?? this.previous?.files.get(name);
  }

  /** Re-compresses the buckets that changed since the last build. */
  private compressDirty(): void {
    for (const bucket of this.dirty) {
      const entries = this.buckets.get(bucket);
      if (!entries || entries.size === 0) {
        this.buckets.delete(bucket);
        this.blocks.delete(bucket);
        continue;
      }
      const ordered = sortedKeys(entries).map((k) => safeRender(entries.get(k)!.metadata)!);
      const blocks = {} as Blocks;
      for (const kind of REPODATA_KINDS) blocks[kind] = compressBlock(ordered.map((f) => f[kind]));
      this.blocks.set(bucket, blocks);
    }
    this.dirty.clear();
  }

  private async build(): Promise<RepodataGeneration> {
    const generation = this.index.generation;
    this.compressDirty();
    const order = [...this.blocks.keys()].sort((a, b) => a - b).map((b) => this.blocks.get(b)!);
    const timestamp = Math.floor(Date.now() / 1000);
    const built = REPODATA_KINDS.map((kind) => assembleRepodataFile(kind, order.map((b) => b[kind]), this.count, timestamp));
    const repomd = Buffer.from(renderRepomd(built, timestamp), 'utf8');
    const files = new Map<string, RepodataFile>();
    for (const f of built) {
      files.set(repodataHref(f).slice('repodata/'.length), f);
      files.set(`${f.kind}.xml.gz`, f);
    }
    const gen: RepodataGeneration = { generation, repomd, files };
    if (this.sign) gen.repomdSignature = await this.sign(repomd);
    if (this.current) this.previous = this.current;
    this.current = gen;
    return gen;
  }
}
