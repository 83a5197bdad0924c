/**
 * The per-feed state of the chocolatey view: package versions grouped by id (case-insensitive),
 * sorted by NuGet version, with `IsLatestVersion` / `IsAbsoluteLatestVersion` and the OData
 * property bag of every version kept current from the feed's PackageIndex.
 *
 * Contract: an index event recomputes only the id it touches (one sort of that id's versions),
 * so the state stays cheap to maintain for large feeds; `all()` returns the property bags in a
 * stable order (id, then version).
 */
import type { PackageIndex, PackageRecord } from '../artifact/index.js';
import type { Properties } from './filter.js';
import type { NupkgMeta } from './nuspec.js';
import { toProperties } from './odata.js';
import { compareVersions, parseVersion, type NuGetVersion } from './version.js';

export interface VersionEntry {
  record: PackageRecord<NupkgMeta>;
  version: NuGetVersion;
  props: Properties;
}

export class ChocolateyFeedState {
  /** lower-case id → versions, ascending. */
  private readonly byId = new Map<string, VersionEntry[]>();
  private ordered: Properties[] | undefined;

  constructor(readonly index: PackageIndex<NupkgMeta>) {
    index.subscribe((event) => {
      const meta = event.record.metadata;
      const key = meta.id.toLowerCase();
      const list = (this.byId.get(key) ?? []).filter((e) => e.record.repository !== event.record.repository || e.record.tag !== event.record.tag);
      if (event.type === 'add') {
        const version = parseVersion(meta.version);
        if (version) list.push({ record: event.record, version, props: {} });
      }
      this.recompute(key, list);
      this.ordered = undefined;
    });
  }

  private recompute(key: string, list: VersionEntry[]): void {
    if (list.length === 0) {
      this.byId.delete(key);
      return;
    }
    list.sort((a, b) => compareVersions(a.version, b.version));
    const absolute = list[list.length - 1];
    const stable = [...list].reverse().find((e) => !e.version.prerelease);
    for (const e of list) {
      e.props = toProperties(e.record.metadata, { isLatest: e === stable, isAbsoluteLatest: e === absolute });
    }
    this.byId.set(key, list);
  }

  async refresh(): Promise<void> {
    await this.index.refresh();
  }

  /** Every version's properties, ordered by id then version. */
  all(): Properties[] {
    if (!this.ordered) {
      const ids = [...this.byId.keys()].sort();
      this.ordered = ids.flatMap((id) => (this.byId.get(id) ?? []).map((e) => e.props));
    }
    return this.ordered;
  }

  /** Versions of one id (any case), ascending. */
  versions(id: string): VersionEntry[] {
    return this.byId.get(id.toLowerCase()) ?? [];
  }

  /** One version by id and any equivalent spelling of the version (`1.0` = `1.0.0`). */
  find(id: string, version: string): VersionEntry | undefined {
    const wanted = parseVersion(version);
    if (!wanted) return undefined;
    return this.versions(id).find((e) => compareVersions(e.version, wanted) === 0);
  }
}
