/**
 * The per-feed state of the rpm view: the rendered repodata of every package version, kept
 * current from the feed's PackageIndex (which follows the store's change log).
 *
 * Contract:
 * - A package's three XML fragments are rendered once, when it enters the index, and dropped when
 *   it leaves; a new upload costs one render, never a re-parse of the feed.
 * - `repodata()` returns one consistent generation: repomd.xml and the three files it names,
 *   built at most once per index generation. The previous generation stays servable, so a
 *   client that read repomd.xml just before an upload still gets the files it names.
 * - Packages are ordered by repository and tag, so the output does not depend on upload order
 *   (two replicas with the same packages serve the same bytes, apart from timestamps).
 */
import type { PackageIndex, PackageRecord } from '../artifact/index.js';
import type { RpmPackageMeta } from './metadata.js';
import {
  buildRepodataFile,
  REPODATA_KINDS,
  renderPackage,
  renderRepomd,
  repodataHref,
  type PackageFragments,
  type RepodataFile,
} from './repodata.js';

export interface RepodataGeneration {
  generation: number;
  repomd: Buffer;
  /** `repodata/<sha>-<kind>.xml.gz` and `repodata/<kind>.xml.gz` → file. */
  files: Map<string, RepodataFile>;
  /** Detached ASCII-armoured signature of `repomd`, when the feed signs. */
  repomdSignature?: string;
}

interface Entry {
  record: PackageRecord<RpmPackageMeta>;
  fragments: PackageFragments;
}

/** `Packages/<file name>` under which a package is served (its `location href`). */
export function packageHref(meta: RpmPackageMeta): string {
  return `Packages/${meta.fileName}`;
}

export class RpmRepoState {
  private readonly entries = new Map<string, Entry>();
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
      if (event.type === 'add') {
        this.entries.set(key, { record: event.record, fragments: renderPackage(meta, packageHref(meta), meta.buildTime) });
        this.byFileName.set(meta.fileName, event.record);
      } else {
        this.entries.delete(key);
        if (this.byFileName.get(meta.fileName) === event.record) this.byFileName.delete(meta.fileName);
      }
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

  private async build(): Promise<RepodataGeneration> {
    const generation = this.index.generation;
    const sorted = [...this.entries.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e.fragments);
    const timestamp = Math.floor(Date.now() / 1000);
    const built = REPODATA_KINDS.map((kind) => buildRepodataFile(kind, sorted.map((f) => f[kind]), timestamp));
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
