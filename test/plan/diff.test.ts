import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { diffPlans, diffTopologies, planForSite, renderDiffMarkdown, SiteChange } from '../../src/plan/index.js';
import { loadTopologyFiles, type Topology } from '../../src/topology/index.js';
import { examplesDir } from './load-example.js';

type Files = Record<string, string>;

function exampleFiles(name: string): Files {
  const dir = path.join(examplesDir, name);
  return Object.fromEntries(readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
}

function load(files: Files): Topology {
  const result = loadTopologyFiles(Object.entries(files).map(([p, content]) => ({ path: p, content })));
  expect(result.issues.filter((i) => i.severity === 'error')).toEqual([]);
  return result.topology;
}

function edit(files: Files, file: string, from: string, to: string): Files {
  const before = files[file]!;
  expect(before).toContain(from);
  return { ...files, [file]: before.replace(from, to) };
}

const base = exampleFiles('hub-and-spoke');

describe('diffTopologies', () => {
  it('reports no change for the same topology (and for a reordering of documents)', () => {
    expect(diffTopologies(load(base), load(base))).toEqual({ changed: false, sitesAdded: [], sitesRemoved: [], sites: [] });
    const reordered = { 'z-sites.yaml': base['sites.yaml']!, 'feeds.yaml': base['feeds.yaml']!, 'replications.yaml': base['replications.yaml']! };
    expect(diffTopologies(load(base), load(reordered)).changed).toBe(false);
  });

  it('reports a feed added on the hub', () => {
    const head = { ...base, 'more.yaml': 'apiVersion: ferry/v1\nkind: Feed\nmetadata: {name: rpms}\nspec: {type: rpm, sites: [hub]}\n' };
    const diff = diffTopologies(load(base), load(head));
    expect(diff.sites.map((s) => s.site)).toEqual(['hub']);
    expect(diff.sites[0]!.feeds.added).toEqual([{ name: 'rpms', type: 'rpm' }]);
    expect(diff.sites[0]!.status).toBe(SiteChange.changed);
  });

  it('reports a changed replication field by field on every target site', () => {
    let head = edit(base, 'replications.yaml', 'schedule: "*/5 * * * *"', 'schedule: "*/10 * * * *"');
    head = edit(head, 'replications.yaml', 'tags: ["v*", "stable"]', 'tags: ["v*"]');
    const diff = diffTopologies(load(base), load(head));
    expect(diff.sites.map((s) => s.site)).toEqual(['store-001', 'store-002', 'store-003']);
    for (const s of diff.sites) {
      expect(s.replications.added).toEqual([]);
      expect(s.replications.changed).toEqual([
        {
          key: 'containers-to-stores (pull-target)',
          changes: [
            { field: 'filter.tags', before: ['v*', 'stable'], after: ['v*'] },
            { field: 'schedule', before: '*/5 * * * *', after: '*/10 * * * *' },
          ],
        },
      ]);
    }
  });

  it('reports an incoming rule removed, and a peer URL change on the sites that connect', () => {
    let head = edit(base, 'sites.yaml', `  incoming:
    - name: stores
      tokenSha256: 0413e9e50a79b87ef472637a35b1c6c1b1afa22d3bdae1330a09a7675bc3ad13
      access: read
      feeds: ["*"]
`, '');
    head = edit(head, 'sites.yaml', 'url: https://hub.example.net', 'url: https://hub2.example.net');
    const diff = diffTopologies(load(base), load(head));
    const hub = diff.sites.find((s) => s.site === 'hub')!;
    expect(hub.incoming.removed.map((r) => r.name)).toEqual(['stores']);
    expect(hub.settings).toEqual([{ field: 'url', before: 'https://hub.example.net', after: 'https://hub2.example.net' }]);
    const store = diff.sites.find((s) => s.site === 'store-001')!;
    expect(store.replications.changed).toHaveLength(4);
    expect(store.replications.changed[0]!.changes).toEqual([
      { field: 'peers', before: [{ site: 'hub', url: 'https://hub.example.net' }], after: [{ site: 'hub', url: 'https://hub2.example.net' }] },
    ]);
  });

  it('reports a site added with everything it will get, and a site removed', () => {
    const head = edit(base, 'sites.yaml', 'name: store-003', 'name: store-004');
    const diff = diffTopologies(load(base), load(head));
    expect(diff.sitesAdded).toEqual(['store-004']);
    expect(diff.sitesRemoved).toEqual(['store-003']);
    const added = diff.sites.find((s) => s.site === 'store-004')!;
    expect(added.status).toBe(SiteChange.added);
    expect(added.feeds.added).toHaveLength(4);
    expect(added.replications.added.map((r) => r.name)).toEqual(['choco-to-stores', 'containers-to-stores', 'debs-to-stores', 'files-to-stores']);
    expect(diff.sites.find((s) => s.site === 'store-003')!.status).toBe(SiteChange.removed);
  });

  it('diffPlans returns undefined for equal plans and is frozen otherwise', () => {
    const t = load(base);
    expect(diffPlans(planForSite(t, 'hub'), planForSite(t, 'hub'))).toBeUndefined();
    const d = diffPlans(undefined, planForSite(t, 'hub'))!;
    expect(d.status).toBe('added');
    expect(Object.isFrozen(d.feeds.added)).toBe(true);
  });

  it('renders a markdown comment with a summary table and per-site sections', () => {
    const head = { ...edit(base, 'replications.yaml', 'schedule: "0 * * * *"', 'schedule: "30 * * * *"'), 'more.yaml': 'apiVersion: ferry/v1\nkind: Feed\nmetadata: {name: rpms}\nspec: {type: rpm, sites: [hub]}\n' };
    const md = renderDiffMarkdown(diffTopologies(load(base), load(head)), {
      base: { revision: 'main', commit: 'a'.repeat(40) },
      head: { revision: 'HEAD', commit: 'b'.repeat(40) },
    });
    expect(md).toContain('### ferry diff `main` (`aaaaaaaaaaaa`) → `HEAD` (`bbbbbbbbbbbb`)');
    expect(md).toContain('| site | status | feeds | replications | incoming | settings |');
    expect(md).toContain('| `hub` | changed | +1 | — | — | — |');
    expect(md).toContain('| `store-001`, `store-002`, `store-003` | changed | — | ~1 | — | — |');
    expect(md).toContain('#### `store-001`, `store-002`, `store-003` (changed)');
    expect(md).toContain('#### `hub` (changed)');
    expect(md).toContain('- added `rpms` (rpm)');
    expect(md).toContain('- changed `files-to-stores (pull-target)`: `schedule` `0 * * * *` → `30 * * * *`');
  });

  it('elides site sections to stay within the comment budget', () => {
    const head = edit(base, 'sites.yaml', 'url: https://hub.example.net', 'url: https://hub2.example.net');
    const md = renderDiffMarkdown(diffTopologies(load(base), load(head)), { base: { revision: 'a' }, head: { revision: 'b' }, maxChars: 700 });
    expect(md.length).toBeLessThan(1000);
    expect(md).toMatch(/Sections of \d+ more site\(s\) left out/);
  });

  it('groups sites with the same change into one row and one section', () => {
    const stores = (n: number, schedule: string): Files => ({
      ...base,
      'sites.yaml': base['sites.yaml']! + Array.from({ length: n }, (_, i) => `---
apiVersion: ferry/v1
kind: Site
metadata: {name: extra-${String(i).padStart(3, '0')}, labels: {role: store}}
spec: {url: https://extra-${i}.example.net}
`).join(''),
      'replications.yaml': base['replications.yaml']!.replace('schedule: "0 * * * *"', `schedule: "${schedule}"`),
    });
    const diff = diffTopologies(load(stores(30, '0 * * * *')), load(stores(30, '5 * * * *')));
    expect(diff.sites).toHaveLength(33);
    const md = renderDiffMarkdown(diff, { base: { revision: 'a' }, head: { revision: 'b' } });
    expect(md.match(/^\| /gm)).toHaveLength(2); // header row + one grouped row
    expect(md).toContain('| `extra-000`, `extra-001`, `extra-002`, `extra-003`, `extra-004` and 28 more | changed | — | ~1 | — | — |');
    expect(md.match(/^#### /gm)).toHaveLength(1);
    expect(md).toContain('and 13 more (changed)');
  });
});
