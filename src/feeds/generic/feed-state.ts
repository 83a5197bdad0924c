/**
 * The live view of one generic feed, kept in step with its PackageIndex (change-log driven):
 * every path with its versions, and a directory tree for listings, both updated per event, so
 * a listing never scans the store.
 */
import type { PackageIndex, PackageRecord } from '../artifact/index.js';
import type { FileMetadata } from './metadata.js';
import { tagVersion } from './paths.js';

export type FileRecord = PackageRecord<FileMetadata> & { versionNumber: number };

export interface DirEntry {
  name: string;
  type: 'file' | 'dir';
  size?: number;
  digest?: string;
  version?: number;
  contentType?: string;
  uploadedAt?: string;
}

export class GenericFeedState {
  /** path → version number → record */
  private readonly files = new Map<string, Map<number, FileRecord>>();
  /** directory (`''` or `a/b/`) → child names (`x` files, `y/` directories) */
  private readonly dirs = new Map<string, Set<string>>();

  constructor(readonly index: PackageIndex<FileMetadata>) {
    index.subscribe((event) => (event.type === 'add' ? this.add(event.record) : this.remove(event.record)));
  }

  private add(record: PackageRecord<FileMetadata>): void {
    const versionNumber = tagVersion(record.tag);
    if (versionNumber === undefined) return;
    const path = record.metadata.path;
    let versions = this.files.get(path);
    if (!versions) {
      versions = new Map();
      this.files.set(path, versions);
      this.link(path);
    }
    versions.set(versionNumber, { ...record, versionNumber });
  }

  private remove(record: PackageRecord<FileMetadata>): void {
    const versionNumber = tagVersion(record.tag);
    const path = record.metadata.path;
    const versions = this.files.get(path);
    if (versionNumber === undefined || !versions) return;
    if (versions.get(versionNumber)?.manifestDigest !== record.manifestDigest) return;
    versions.delete(versionNumber);
    if (versions.size === 0) {
      this.files.delete(path);
      this.unlink(path);
    }
  }

  private link(path: string): void {
    const segments = path.split('/');
    let dir = '';
    segments.forEach((segment, i) => {
      const child = i === segments.length - 1 ? segment : `${segment}/`;
      let children = this.dirs.get(dir);
      if (!children) this.dirs.set(dir, (children = new Set()));
      children.add(child);
      dir += `${segment}/`;
    });
  }

  private unlink(path: string): void {
    const segments = path.split('/');
    for (let i = segments.length - 1; i >= 0; i--) {
      const dir = segments.slice(0, i).map((s) => `${s}/`).join('');
      const child = i === segments.length - 1 ? (segments[i] as string) : `${segments[i]}/`;
      if (i < segments.length - 1 && this.dirs.get(dir + child)?.size) return;
      const children = this.dirs.get(dir);
      children?.delete(child);
      if (children?.size === 0 && dir !== '') this.dirs.delete(dir);
      else return;
    }
  }

  /** All versions of a path, oldest first. */
  versions(path: string): FileRecord[] {
    return [...(this.files.get(path)?.values() ?? [])].sort((a, b) => a.versionNumber - b.versionNumber);
  }

  /** The newest version of a path, or a given one. */
  file(path: string, version?: number): FileRecord | undefined {
    const versions = this.files.get(path);
    if (!versions) return undefined;
    if (version !== undefined) return versions.get(version);
    return versions.get(Math.max(...versions.keys()));
  }

  /** Highest version number ever seen for a path in the index (0 when none). */
  latestVersion(path: string): number {
    const versions = this.files.get(path);
    return versions && versions.size > 0 ? Math.max(...versions.keys()) : 0;
  }

  isDir(dir: string): boolean {
    return dir === '' || this.dirs.has(dir);
  }

  /** Entries of a directory (`''` or `a/b/`), sorted by name; undefined if it does not exist. */
  list(dir: string): DirEntry[] | undefined {
    const children = this.dirs.get(dir);
    if (!children) return dir === '' ? [] : undefined;
    return [...children].sort().map((child) => {
      if (child.endsWith('/')) return { name: child, type: 'dir' as const };
      const latest = this.file(dir + child) as FileRecord;
      const m = latest.metadata;
      return { name: child, type: 'file' as const, size: m.size, digest: latest.file.digest, version: latest.versionNumber, contentType: m.contentType, uploadedAt: m.uploadedAt };
    });
  }
}
