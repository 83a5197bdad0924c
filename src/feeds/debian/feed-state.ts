/**
 * The rendered APT repository of one debian feed, kept in step with the feed's PackageIndex
 * (change-log driven): per dist and architecture a PackagesFile, a pool path map, and the signed
 * Release files, cached until the next change of that dist.
 *
 * `Architecture: all` packages are written into every `binary-<arch>/Packages` of their dist
 * (the Release says `No-Support-for-Architecture-all: Packages`, as Debian's archive does).
 */
import type { PackageIndex, PackageRecord } from '../artifact/index.js';
import type { SigningKey } from '../signing/index.js';
import { PackagesFile } from './packages-file.js';
import { DEFAULT_ARCHITECTURES, DEFAULT_DIST, type DebianMetadata } from './metadata.js';
import { debFileName, poolDirectory, renderStanza } from './stanza.js';
import { renderRelease } from './release.js';

export interface SignedRelease {
  /**
   * Last-Modified of all three: whole seconds, strictly increasing per dist (so a newer Release
   * never looks older to If-Modified-Since); may run a little ahead of the clock under bursts,
   * which is why the Release `Date` field uses the real time instead.
   */
  date: Date;
  release: string;
  inRelease: string;
  releaseGpg: string;
}

class DistState {
  readonly files = new Map<string, PackagesFile>();
  readonly archAll = new Map<string, string>();
  signed: Promise<SignedRelease> | undefined;
  lastDate = 0;

  constructor() {
    for (const arch of DEFAULT_ARCHITECTURES) this.files.set(arch, new PackagesFile());
  }

  fileFor(arch: string): PackagesFile {
    let file = this.files.get(arch);
    if (!file) {
      file = new PackagesFile();
      for (const [key, stanza] of this.archAll) file.set(key, stanza);
      this.files.set(arch, file);
    }
    return file;
  }
}

export class DebianFeedState {
  private readonly dists = new Map<string, DistState>();
  /** `pool/main/...deb` → record. */
  readonly pool = new Map<string, PackageRecord<DebianMetadata>>();

  constructor(readonly index: PackageIndex<DebianMetadata>) {
    index.subscribe((event) => (event.type === 'add' ? this.add(event.record) : this.remove(event.record)));
  }

  /**
   * Where the file is served: `pool/main/<p>/<name>/<file>` for the default dist, and
   * `pool/dists/<dist>/main/<p>/<name>/<file>` for others, so that the same file name published to
   * two dists with different content never shares a URL (clients would fail the hash check).
   */
  static poolPath(record: PackageRecord<DebianMetadata>): string {
    const m = record.metadata;
    const path = `${poolDirectory(record.name)}/${debFileName(record.name, record.version, m.architecture)}`;
    return m.dist === DEFAULT_DIST ? path : `pool/dists/${m.dist}/${path.slice('pool/'.length)}`;
  }

  private dist(name: string): DistState {
    let dist = this.dists.get(name);
    if (!dist) {
      dist = new DistState();
      this.dists.set(name, dist);
    }
    return dist;
  }

  private add(record: PackageRecord<DebianMetadata>): void {
    const m = record.metadata;
    const filename = DebianFeedState.poolPath(record);
    const key = `${record.repository}:${record.tag}`;
    const stanza = renderStanza(m.control, { filename, size: m.size, md5: m.md5, sha1: m.sha1, sha256: m.sha256 });
    this.pool.set(filename, record);
    const dist = this.dist(m.dist);
    dist.signed = undefined;
    if (m.architecture === 'all') {
      dist.archAll.set(key, stanza);
      for (const file of dist.files.values()) file.set(key, stanza);
    } else {
      dist.fileFor(m.architecture).set(key, stanza);
    }
  }

  private remove(record: PackageRecord<DebianMetadata>): void {
    const key = `${record.repository}:${record.tag}`;
    const filename = DebianFeedState.poolPath(record);
    if (this.pool.get(filename)?.manifestDigest === record.manifestDigest) this.pool.delete(filename);
    const dist = this.dists.get(record.metadata.dist);
    if (!dist) return;
    dist.signed = undefined;
    dist.archAll.delete(key);
    for (const file of dist.files.values()) file.delete(key);
  }

  /** The Packages file of a dist and architecture, undefined for an unknown dist. */
  packages(dist: string, arch: string): PackagesFile | undefined {
    const state = this.dists.get(dist);
    return state?.files.get(arch) ?? (state ? new PackagesFile() : undefined);
  }

  /** Release, InRelease and Release.gpg of a dist (signed once per change), undefined if unknown. */
  release(distName: string, feed: string, key: SigningKey): Promise<SignedRelease> | undefined {
    const dist = this.dists.get(distName);
    if (!dist) return undefined;
    if (!dist.signed) {
      // HTTP dates have one-second resolution: a newer Release must carry a later date, or a
      // client's If-Modified-Since could keep it on the older one.
      const seconds = Math.max(Math.floor(Date.now() / 1000), dist.lastDate + 1);
      dist.lastDate = seconds;
      const date = new Date(seconds * 1000);
      const release = renderRelease({ feed, dist: distName, files: dist.files, date: new Date() });
      const pending = Promise.all([key.clearsign(release), key.detachSign(release)]).then(([inRelease, releaseGpg]) => ({ date, release, inRelease, releaseGpg }));
      pending.catch(() => {
        if (dist.signed === pending) dist.signed = undefined;
      });
      dist.signed = pending;
    }
    return dist.signed;
  }

  distNames(): string[] {
    return [...this.dists.keys()].sort();
  }
}
