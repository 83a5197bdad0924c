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
  /** Properties with latest flags over every version (clients sending `semVerLevel=2.0.0`). */
  props: Properties;
  /** Latest flags over SemVer 1 versions only (older clients, which never see SemVer 2 ones). */
  legacyProps: Properties;
}

/** A SemVer 2.0.0-only version: dotted pre-release labels or build metadata. */
export function isSemVer2(version: string): boolean {
  return version.includes('+') || /-[^+]*\./.test(version);
}

export class ChocolateyFeedState {
  /** lower-case id → versions, ascending (after `flush()`). */
  private readonly byId = new Map<string, VersionEntry[]>();
  /** Ids whose order and latest flags must be recomputed before the next read. */
  private readonly dirty = new Set<string>();
  private ordered: { props: Properties[]; legacy: Properties[] } | undefined;

  constructor(readonly index: PackageIndex<NupkgMeta>) {
    index.subscribe((event) => {
      const meta = event.record.metadata;
      if (typeof meta?.id !== 'string') return;
      const key = meta.id.toLowerCase();
      const list = (this.byId.get(key) ?? []).filter((e) => e.record.repository !== event.record.repository || e.record.tag !== event.record.tag);
      // A config blob this version of ferry did not write (no valid id/version) is left out
      // rather than breaking the feed's view.
      const version = event.type === 'add' && typeof meta.version === 'string' ? parseVersion(meta.version) : undefined;
      if (version) list.push({ record: event.record, version, props: {}, legacyProps: {} });
      this.byId.set(key, list);
      this.dirty.add(key);
      this.ordered = undefined;
    });
  }

  /** Recomputes the ids changed since the last read (once per id, however many versions came). */
  private flush(): void {
    for (const key of this.dirty) this.recompute(key, this.byId.get(key) ?? []);
    this.dirty.clear();
  }

  private recompute(key: string, list: VersionEntry[]): void {
    if (list.length === 0) {
      this.byId.delete(key);
      return;
    }
    list.sort((a, b) => compareVersions(a.version, b.version));
    const latest = (pool: VersionEntry[]): { absolute?: VersionEntry; stable?: VersionEntry } => ({
      absolute: pool[pool.length - 1],
      stable: [...pool].reverse().find((e) => !e.version.prerelease),
    });
    const all = latest(list);
    const legacy = latest(list.filter((e) => !isSemVer2(e.version.original)));
    for (const e of list) {
      const meta = e.record.metadata;
      e.props = toProperties(meta, { isLatest: e === all.stable, isAbsoluteLatest: e === all.absolute });
      e.legacyProps = toProperties(meta, { isLatest: e === legacy.stable, isAbsoluteLatest: e === legacy.absolute });
    }
    this.byId.set(key, list);
  }

  async refresh(): Promise<void> {
    await this.index.refresh();
  }

  /** Every version's properties, ordered by id then version; `semVer2` picks the flag set. */
  all(semVer2 = true): Properties[] {
    this.flush();
    if (!this.ordered) {
      const entries = [...this.byId.keys()].sort().flatMap((id) => this.byId.get(id) ?? []);
      this.ordered = { props: entries.map((e) => e.props), legacy: entries.map((e) => e.legacyProps) };
    }
    return semVer2 ? this.ordered.props : this.ordered.legacy;
  }

  /** Versions of one id (any case), ascending. */
  versions(id: string): VersionEntry[] {
    this.flush();
    return this.byId.get(id.toLowerCase()) ?? [];
  }

  /** One version by id and any equivalent spelling of the version (`1.0` = `1.0.0`). */
  find(id: string, version: string): VersionEntry | undefined {
    const wanted = parseVersion(version);
    if (!wanted) return undefined;
    return this.versions(id).find((e) => compareVersions(e.version, wanted) === 0);
  }
}
