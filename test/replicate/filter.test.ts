import { describe, expect, it } from 'vitest';
import { compileFilter } from '../../src/replicate/filter.js';

describe('compileFilter', () => {
  const filter = compileFilter({ include: ['apps/**'], exclude: ['apps/**/debug'], tags: ['v*', 'stable'], semver: '>=1.2.0' });

  it.each([
    ['apps/web', true],
    ['apps/web/debug', false],
    ['tools/jq', false],
  ])('repository %s → %s', (name, expected) => {
    expect(filter.repository(name)).toBe(expected);
  });

  it.each([
    ['v1.2.0', true],
    ['v1.10.3', true],
    ['v1.1.9', false],
    ['stable', false], // matches a glob but is not a semver version inside the range
    ['latest', false],
    ['v2.0.0-rc.1', false], // prereleases are outside plain ranges
  ])('tag %s → %s', (tag, expected) => {
    expect(filter.tag(tag)).toBe(expected);
  });

  it('passes everything without a filter', () => {
    const all = compileFilter(undefined);
    expect(all.repository('anything/at/all')).toBe(true);
    expect(all.tag('latest')).toBe(true);
  });

  it('tags only, no semver', () => {
    const f = compileFilter({ tags: ['v*', 'stable'] });
    expect(f.tag('stable')).toBe(true);
    expect(f.tag('edge')).toBe(false);
  });
});
