/**
 * How package names and versions become OCI repository names and tags (DESIGN.md section 3:
 * a package version is an artifact in `<feed>/<package>`, tagged with its version).
 *
 * Repository component (`toRepositoryComponent`): a name that already matches the strict form
 * `[a-z0-9]+([._-][a-z0-9]+)*` is used as is (`nginx`, `libc6`, `python3.11`). Any other name
 * (upper case, `+`, `~`, runs of separators, …) becomes `<slug>__<16 hex of sha256(name)>`,
 * where the slug is the name lower-cased with every other character turned into `-`. Strict
 * names never contain `__`, so the two forms never collide; the exact name is always kept in
 * the manifest annotation `vnd.ferry.package.name` and in the config blob.
 *
 * Tag (`toTag`): characters of the tag grammar (`[A-Za-z0-9.-]`) are kept, every other
 * character, `_` included, becomes `_` + two lower-case hex digits per UTF-8 byte
 * (`1:2.0+dfsg~1` → `1_3a2.0_2bdfsg_7e1`), so the mapping is injective and reversible
 * (`fromTag`). A leading `.` or `-` is escaped too. A result longer than 128 characters is cut to
 * 110 characters + `__` + 16 hex of sha256(version) (escapes never produce `__`). The exact
 * version is kept in the annotation `org.opencontainers.image.version`.
 */
import { createHash } from 'node:crypto';

const STRICT_COMPONENT = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const TAG_KEEP = /[A-Za-z0-9.-]/;
const MAX_TAG = 128;
const MAX_COMPONENT = 96;

function shortHash(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 16);
}

/** One repository path component for a package name or a file path segment (see above). */
export function toRepositoryComponent(name: string): string {
  if (name.length <= MAX_COMPONENT && STRICT_COMPONENT.test(name)) return name;
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_COMPONENT - 18)
    .replace(/-+$/g, '');
  return `${slug || 'x'}__${shortHash(name)}`;
}

/** `<feed>/<component>`: the repository of a package. */
export function packageRepository(feed: string, name: string): string {
  return `${feed}/${toRepositoryComponent(name)}`;
}

/** A tag for `version` (see above); stable: the same version always gives the same tag. */
export function toTag(version: string): string {
  let out = '';
  for (const char of version) {
    if (TAG_KEEP.test(char) && !(out === '' && (char === '.' || char === '-'))) {
      out += char;
    } else {
      for (const byte of Buffer.from(char, 'utf8')) out += '_' + byte.toString(16).padStart(2, '0');
    }
  }
  if (out.length > MAX_TAG) out = `${out.slice(0, MAX_TAG - 18)}__${shortHash(version)}`;
  return out;
}

/** The version a tag made by `toTag` stands for; undefined for a hashed (cut) tag. */
export function fromTag(tag: string): string | undefined {
  if (tag.includes('__')) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < tag.length; i++) {
    if (tag[i] === '_') {
      bytes.push(parseInt(tag.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(tag.charCodeAt(i));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
