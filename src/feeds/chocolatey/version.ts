/**
 * NuGet package ids and versions (learn.microsoft.com/nuget/concepts/package-versioning):
 *
 * - id: `\w+([_.-]\w+)*`, at most 100 characters (NuGet's PackageIdValidator); ids compare
 *   case-insensitively.
 * - version: 1 to 4 numeric parts, an optional SemVer 2 pre-release (`-alpha.1`) and build
 *   metadata (`+sha`). The normalized form (NuGet 3.4+) drops leading zeros, a 4th part of 0 and
 *   the build metadata, and pads to three parts (`1.0` → `1.0.0`, `1.2.3.0` → `1.2.3`).
 * - ordering: numeric parts, then release > pre-release, then pre-release labels dot by dot
 *   (numeric < alphanumeric, case-insensitive), as SemVer 2 section 11.
 */
const ID_RE = /^\w+(?:[_.-]\w+)*$/;
const VERSION_RE = /^(\d{1,9})(?:\.(\d{1,9}))?(?:\.(\d{1,9}))?(?:\.(\d{1,9}))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;
export const MAX_ID_LENGTH = 100;
const MAX_VERSION_LENGTH = 64;

export function isValidPackageId(id: string): boolean {
  return id.length <= MAX_ID_LENGTH && ID_RE.test(id);
}

export interface NuGetVersion {
  parts: [number, number, number, number];
  prerelease: string;
  /** Original text as the package declares it. */
  original: string;
}

export function parseVersion(text: string): NuGetVersion | undefined {
  if (text.length > MAX_VERSION_LENGTH) return undefined;
  const m = VERSION_RE.exec(text);
  if (!m) return undefined;
  const n = (s: string | undefined): number => (s === undefined ? 0 : Number(s));
  return { parts: [n(m[1]), n(m[2]), n(m[3]), n(m[4])], prerelease: m[5] ?? '', original: text };
}

export function normalizeVersion(v: NuGetVersion): string {
  const [a, b, c, d] = v.parts;
  return `${a}.${b}.${c}${d !== 0 ? `.${d}` : ''}${v.prerelease ? `-${v.prerelease}` : ''}`;
}

/** Normalized form of `text`, or undefined when it is not a NuGet version. */
export function normalize(text: string): string | undefined {
  const v = parseVersion(text);
  return v ? normalizeVersion(v) : undefined;
}

function compareLabels(a: string, b: string): number {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    const pn = /^\d+$/.test(p);
    const qn = /^\d+$/.test(q);
    if (pn && qn) {
      const d = Number(p) - Number(q);
      if (d !== 0) return Math.sign(d);
    } else if (pn !== qn) {
      return pn ? -1 : 1;
    } else {
      const c = p.toLowerCase().localeCompare(q.toLowerCase(), 'en');
      if (c !== 0) return c;
    }
  }
  return 0;
}

/** Total order of NuGet versions (build metadata ignored). */
export function compareVersions(a: NuGetVersion, b: NuGetVersion): number {
  for (let i = 0; i < 4; i++) {
    const d = (a.parts[i] ?? 0) - (b.parts[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (a.prerelease === b.prerelease) return 0;
  if (!a.prerelease) return 1;
  if (!b.prerelease) return -1;
  return compareLabels(a.prerelease, b.prerelease);
}
