/**
 * The `Release` file of a dist (APT repository format, "Release files"; field order as
 * Dpkg's CTRL_REPO_RELEASE): it lists every index file of the dist with its size and hashes
 * (MD5Sum and SHA256; APT 2.x requires SHA256 and ignores MD5 for security).
 */
import type { PackagesFile } from './packages-file.js';

export interface ReleaseInput {
  feed: string;
  dist: string;
  files: Map<string, PackagesFile>;
  date: Date;
}

export function renderRelease({ feed, dist, files, date }: ReleaseInput): string {
  const archs = [...files.keys()].sort();
  const md5: string[] = [];
  const sha256: string[] = [];
  for (const arch of archs) {
    const d = (files.get(arch) as PackagesFile).digests();
    const base = `main/binary-${arch}/Packages`;
    md5.push(` ${d.md5.plain} ${String(d.size.plain).padStart(16)} ${base}`);
    md5.push(` ${d.md5.gz} ${String(d.size.gz).padStart(16)} ${base}.gz`);
    sha256.push(` ${d.sha256.plain} ${String(d.size.plain).padStart(16)} ${base}`);
    sha256.push(` ${d.sha256.gz} ${String(d.size.gz).padStart(16)} ${base}.gz`);
  }
  const lines = [
    'Origin: ferry',
    `Label: ${feed}`,
    `Suite: ${dist}`,
    `Codename: ${dist}`,
    `Date: ${date.toUTCString().replace('GMT', 'UTC')}`,
    'Acquire-By-Hash: no',
    'No-Support-for-Architecture-all: Packages',
    `Architectures: ${archs.join(' ')}`,
    'Components: main',
    `Description: ferry feed ${feed}`,
    'MD5Sum:',
    ...md5,
    'SHA256:',
    ...sha256,
  ];
  return lines.join('\n') + '\n';
}
