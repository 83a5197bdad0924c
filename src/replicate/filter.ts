/**
 * A replication's `filter` (include/exclude repository globs, tag globs, semver range) compiled
 * once into a predicate. Repository names are matched WITHOUT the feed prefix (`apps/web`, not
 * `containers/apps/web`), the way they are written in the topology.
 *
 * Semantics: a repository passes when it matches any `include` (all pass when absent) and no
 * `exclude`. A tag passes when it matches any `tags` glob (all pass when absent) and, when
 * `semver` is set, is a valid semver version (a leading `v` is allowed) inside the range.
 */
import picomatch from 'picomatch';
import semver from 'semver';
import type { ReplicationFilter } from '../topology/model.js';

export interface CompiledFilter {
  repository(name: string): boolean;
  tag(tag: string): boolean;
}

const globOptions = { dot: true } as const;

function anyOf(globs: readonly string[] | undefined): ((s: string) => boolean) | undefined {
  if (!globs || globs.length === 0) return undefined;
  return picomatch(globs as string[], globOptions);
}

export function compileFilter(filter: ReplicationFilter | undefined): CompiledFilter {
  const include = anyOf(filter?.include);
  const exclude = anyOf(filter?.exclude);
  const tagGlobs = anyOf(filter?.tags);
  const range = filter?.semver ? new semver.Range(filter.semver, { loose: false }) : undefined;

  return {
    repository(name) {
      if (include && !include(name)) return false;
      return !(exclude && exclude(name));
    },
    tag(tag) {
      if (tagGlobs && !tagGlobs(tag)) return false;
      if (!range) return true;
      const version = semver.valid(tag.replace(/^v/, ''));
      return version !== null && range.test(version);
    },
  };
}
