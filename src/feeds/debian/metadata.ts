/**
 * Media types and the config-blob metadata of a Debian package artifact (see
 * ../artifact/package-store.ts for the artifact layout).
 */
import type { ControlFields } from './control.js';

export const DebianMediaType = {
  artifact: 'application/vnd.ferry.debian.package.v1',
  config: 'application/vnd.ferry.debian.package.v1+json',
  /** The .deb layer (the type Debian's own archive serves .debs as). */
  file: 'application/vnd.debian.binary-package',
} as const;

/** The config blob: everything needed to render index stanzas without reading the .deb. */
export interface DebianMetadata {
  /** Control file fields in file order. */
  control: ControlFields;
  architecture: string;
  /** Distribution the package was published to (default `stable`). */
  dist: string;
  component: 'main';
  md5: string;
  sha1: string;
  sha256: string;
  size: number;
}

/** Distribution names: a suite/codename, used as a path segment. */
export const DIST_PATTERN = /^[a-z0-9][a-z0-9.+-]{0,63}$/;
export const DEFAULT_DIST = 'stable';
/** Architectures every dist lists even before a package of them arrives (`all` goes in each). */
export const DEFAULT_ARCHITECTURES = ['amd64', 'arm64'];

/** The artifact tag of a binary: its version and architecture (one artifact per .deb file). */
export function debianTagSource(version: string, architecture: string, dist: string): string {
  return dist === DEFAULT_DIST ? `${version}_${architecture}` : `${version}_${architecture}_${dist}`;
}
