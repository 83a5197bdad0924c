import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { buildGraph, renderDot, renderMermaid } from '../../src/plan/index.js';
import type { Topology } from '../../src/topology/index.js';
import { exampleNames, loadExample } from './load-example.js';

/** Runs Graphviz (a peer installed by scripts/install-test-deps.sh; the test fails without it). */
function dotToSvg(dot: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw new Error(`Graphviz 'dot' is required (scripts/install-test-deps.sh): ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('buildGraph', () => {
  it('draws the multi-hub topology: hub → hub → stores, grouped by region', async () => {
    const { topology } = await loadExample('multi-hub');
    const g = buildGraph(topology, { groupBy: 'region' });
    expect(g.nodes.filter((n) => n.group === 'asia').map((n) => n.name)).toEqual(['hub-asia', 'store-jp-001', 'store-sg-001']);
    expect(g.nodes.filter((n) => n.group === 'us').map((n) => n.name)).toEqual(['hub-us', 'store-us-001', 'store-us-002']);
    const edge = (from: string, to: string) => g.edges.filter((e) => e.from === `site:${from}` && e.to === `site:${to}`).map((e) => e.label);
    expect(edge('hub-us', 'hub-asia')).toEqual(['containers (pull)', 'packages (pull)']);
    expect(edge('hub-asia', 'store-sg-001')).toEqual(['containers → store-containers (pull)', 'packages → store-packages (pull)']);
    expect(edge('hub-us', 'store-sg-001')).toEqual([]);
    expect(g.edges.every((e) => e.style === 'solid' && !e.both)).toBe(true);
  });

  it('draws upstreams as their own nodes and fallbacks as dashed edges', async () => {
    const { topology } = await loadExample('edge-constraints');
    const g = buildGraph(topology, { groupBy: 'link' });
    expect(g.nodes.find((n) => n.id === 'upstream:corp-registry')).toMatchObject({ kind: 'upstream' });
    expect(g.edges.filter((e) => e.from === 'upstream:corp-registry').map((e) => e.to)).toEqual(['site:hub-north', 'site:hub-south']);
    const fallbacks = g.edges.filter((e) => e.style === 'dashed');
    expect(fallbacks.map((e) => `${e.from}>${e.to}:${e.label}`)).toContain('site:hub-south>site:vessel-aurora:edge-images (fallback)');
    expect(fallbacks.every((e) => e.from === 'site:hub-south')).toBe(true);
  });

  it('draws a mirror as one bidirectional edge', async () => {
    const { topology } = await loadExample('disaster-recovery');
    const mirror = buildGraph(topology).edges.filter((e) => e.both);
    expect(mirror).toEqual([{ from: 'site:production', to: 'site:standby', label: 'releases (mirror)', style: 'solid', both: true, replication: 'dr-releases' }]);
  });

  it('renders mermaid with subgraphs, cylinders for upstreams, and the three arrow kinds', async () => {
    const edge = buildGraph((await loadExample('edge-constraints')).topology, { groupBy: 'link' });
    const text = renderMermaid(edge);
    expect(text.startsWith('flowchart LR\n')).toBe(true);
    expect(text).toContain('  subgraph g2["link: satellite"]\n    s_vessel_aurora["vessel-aurora"]\n  end');
    expect(text).toContain('u_corp_registry[("corp-registry")]');
    expect(text).toContain('s_hub_north -->|"images → edge-images (pull)"| s_vessel_aurora');
    expect(text).toContain('s_hub_south -.->|"edge-images (fallback)"| s_vessel_aurora');
    const dr = renderMermaid(buildGraph((await loadExample('disaster-recovery')).topology));
    expect(dr).toContain('s_production <-->|"releases (mirror)"| s_standby');
    // Every subgraph is closed, every edge line references declared nodes.
    expect(text.match(/subgraph /g)?.length).toBe(text.match(/^\s*end$/gm)?.length);
    const declared = new Set([...text.matchAll(/^\s+([su]_[a-z0-9_]+)\[/gm)].map((m) => m[1]));
    for (const m of text.matchAll(/^\s+([su]_[a-z0-9_]+) (?:-->|-\.->|<-->)\|"[^"]*"\| ([su]_[a-z0-9_]+)$/gm)) {
      expect(declared.has(m[1])).toBe(true);
      expect(declared.has(m[2])).toBe(true);
    }
    expect(text.split('\n').filter((l) => l.includes('|')).length).toBe(edge.edges.length);
  });

  it('escapes label text that would break the syntax', () => {
    // Built by hand: the schema would reject this label value, the renderers must still be safe.
    const topology: Topology = {
      sites: [{ apiVersion: 'ferry/v1', kind: 'Site', metadata: { name: 'a', labels: { zone: 'x"y#<b>' } }, spec: {}, source: { file: 'a.yaml', line: 1, column: 1 } }],
      feeds: [],
      upstreams: [],
      replications: [],
    };
    const g = buildGraph(topology, { groupBy: 'zone' });
    expect(renderMermaid(g)).toContain('subgraph g0["zone: x#quot;y#35;#lt;b#gt;"]');
    const dot = renderDot(g);
    expect(dot).toContain('label="zone: x\\"y#<b>";');
    expect(dotToSvg(dot).status).toBe(0);
  });

  it.each(exampleNames)('dot output of %s is accepted by Graphviz', async (name) => {
    const { topology } = await loadExample(name);
    const dot = renderDot(buildGraph(topology, { groupBy: 'role' }));
    const svg = dotToSvg(dot);
    expect(svg.stderr).toBe('');
    expect(svg.status).toBe(0);
    expect(svg.stdout).toContain('<svg');
    // Every site appears in the picture; clusters render as groups.
    for (const site of topology.sites) expect(svg.stdout).toContain(`<title>site:${site.metadata.name.replace(/-/g, '&#45;')}</title>`);
    expect(svg.stdout).toContain('class="cluster"');
  });

  it('Graphviz rejects broken input (the check is real)', () => {
    expect(dotToSvg('digraph { "a" -> ').status).not.toBe(0);
  });
});
