/**
 * The topology as a graph: sites and upstreams as nodes, replications as edges from where content
 * comes from to where it goes (pull and push alike), mirror edges both ways, fallbacks as dashed
 * edges from the fallback site to the target. Renderers (render-graph.ts) turn it into Mermaid or
 * Graphviz DOT. Deterministic: nodes, groups and edges are sorted.
 */
import type { Topology } from '../topology/model.js';
import { compareStrings, deepFreeze } from './data.js';
import { targetsOfReplication } from './topology-adapter.js';

export interface GraphNode {
  /** `site:<name>` or `upstream:<name>`; unique. */
  id: string;
  kind: 'site' | 'upstream';
  name: string;
  /** Value of the group-by label; sites without it (and upstreams) are ungrouped. */
  group?: string;
  /** True for a site that is referenced but not defined (an invalid topology). */
  undefinedSite?: boolean;
}

export interface GraphEdge {
  from: string;
  to: string;
  /** `feed (mode)`, or `feed → target-feed (mode)` when the target feed has another name. */
  label: string;
  style: 'solid' | 'dashed';
  /** Mirror: content flows both ways. */
  both: boolean;
  replication: string;
}

export interface TopologyGraph {
  groupBy?: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export interface BuildGraphOptions {
  /** Label that groups sites into subgraphs/clusters (`role`, `region`); none when undefined. */
  groupBy?: string;
}

const siteId = (name: string): string => `site:${name}`;
const upstreamId = (name: string): string => `upstream:${name}`;

function feedLabel(sourceFeed: string | undefined, targetFeed: string | undefined, mode: string): string {
  const feed = sourceFeed === undefined || targetFeed === undefined || sourceFeed === targetFeed
    ? (targetFeed ?? sourceFeed ?? '?')
    : `${sourceFeed} → ${targetFeed}`;
  return `${feed} (${mode})`;
}

function edgesOf(topology: Topology, nodeFor: (name: string) => string): GraphEdge[] {
  const edges: GraphEdge[] = [];
  for (const r of topology.replications) {
    const { mode, source, target, fallback } = r.spec;
    const from = source.upstream !== undefined ? upstreamId(source.upstream) : source.site !== undefined ? nodeFor(source.site) : undefined;
    if (from === undefined) continue;
    const targetFeed = target.feed ?? source.feed;
    const label = feedLabel(source.feed, targetFeed, mode);
    const name = r.metadata.name;
    for (const t of targetsOfReplication(topology, r)) {
      const to = nodeFor(t);
      if (to === from) continue;
      edges.push({ from, to, label, style: 'solid', both: mode === 'mirror', replication: name });
      for (const f of fallback ?? []) {
        const fb = nodeFor(f);
        if (fb !== to) edges.push({ from: fb, to, label: `${targetFeed ?? '?'} (fallback)`, style: 'dashed', both: false, replication: name });
      }
    }
  }
  return edges;
}

/** Builds the graph of a loaded topology (valid or not; dangling site names become marked nodes). */
export function buildGraph(topology: Topology, options: BuildGraphOptions = {}): TopologyGraph {
  const nodes = new Map<string, GraphNode>();
  for (const site of topology.sites) {
    const name = site.metadata.name;
    const group = options.groupBy === undefined ? undefined : site.metadata.labels?.[options.groupBy];
    if (!nodes.has(siteId(name))) nodes.set(siteId(name), { id: siteId(name), kind: 'site', name, ...(group === undefined ? {} : { group }) });
  }
  for (const upstream of topology.upstreams) {
    const name = upstream.metadata.name;
    nodes.set(upstreamId(name), { id: upstreamId(name), kind: 'upstream', name });
  }
  const nodeFor = (name: string): string => {
    const id = siteId(name);
    if (!nodes.has(id)) nodes.set(id, { id, kind: 'site', name, undefinedSite: true });
    return id;
  };
  const edges = edgesOf(topology, nodeFor);
  for (const e of edges) {
    if (e.from.startsWith('upstream:') && !nodes.has(e.from)) {
      nodes.set(e.from, { id: e.from, kind: 'upstream', name: e.from.slice('upstream:'.length), undefinedSite: true });
    }
  }
  const unique = new Map(edges.map((e) => [`${e.from}|${e.to}|${e.label}|${e.style}`, e]));
  return deepFreeze({
    ...(options.groupBy === undefined ? {} : { groupBy: options.groupBy }),
    nodes: [...nodes.values()].sort((a, b) => compareStrings(a.id, b.id)),
    edges: [...unique.values()].sort((a, b) => compareStrings(a.from, b.from) || compareStrings(a.to, b.to) || compareStrings(a.label, b.label)),
  });
}
