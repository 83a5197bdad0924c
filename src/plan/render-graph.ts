/**
 * Mermaid (flowchart) and Graphviz DOT renderings of a TopologyGraph. Both are deterministic text;
 * DOT output is checked with `dot -Tsvg` in the tests. Identifiers are derived from DNS-label names
 * (`site:a-b` → mermaid `s_a_b`, injective because DNS labels have no `_`); all label text is escaped.
 */
import type { GraphEdge, GraphNode, TopologyGraph } from './graph.js';

function groupsOf(graph: TopologyGraph): { groups: Array<[string, GraphNode[]]>; loose: GraphNode[] } {
  const groups = new Map<string, GraphNode[]>();
  const loose: GraphNode[] = [];
  for (const node of graph.nodes) {
    if (node.group === undefined) loose.push(node);
    else groups.set(node.group, [...(groups.get(node.group) ?? []), node]);
  }
  return { groups: [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)), loose };
}

// ---- Mermaid ----------------------------------------------------------------------------

function mermaidId(id: string): string {
  const [kind, name] = id.split(':', 2) as [string, string];
  return `${kind === 'upstream' ? 'u' : 's'}_${name.replace(/[^A-Za-z0-9]/g, '_')}`;
}

/** Mermaid text in quotes: `"` and `#` would end or start an entity, so they become entities. */
function mermaidText(text: string): string {
  return `"${text.replace(/#/g, '#35;').replace(/"/g, '#quot;').replace(/[<>]/g, (c) => (c === '<' ? '#lt;' : '#gt;'))}"`;
}

function mermaidNode(node: GraphNode): string {
  const text = mermaidText(node.undefinedSite ? `${node.name} (undefined)` : node.name);
  return node.kind === 'upstream' ? `${mermaidId(node.id)}[(${text})]` : `${mermaidId(node.id)}[${text}]`;
}

function mermaidEdge(edge: GraphEdge): string {
  const arrow = edge.style === 'dashed' ? '-.->' : edge.both ? '<-->' : '-->';
  return `${mermaidId(edge.from)} ${arrow}|${mermaidText(edge.label)}| ${mermaidId(edge.to)}`;
}

/** A Mermaid `flowchart LR`: one subgraph per group-by label value, upstreams as cylinders. */
export function renderMermaid(graph: TopologyGraph): string {
  const lines = ['flowchart LR'];
  const { groups, loose } = groupsOf(graph);
  groups.forEach(([value, nodes], i) => {
    lines.push(`  subgraph g${i}[${mermaidText(`${graph.groupBy ?? 'group'}: ${value}`)}]`);
    for (const node of nodes) lines.push(`    ${mermaidNode(node)}`);
    lines.push('  end');
  });
  for (const node of loose) lines.push(`  ${mermaidNode(node)}`);
  for (const edge of graph.edges) lines.push(`  ${mermaidEdge(edge)}`);
  return `${lines.join('\n')}\n`;
}

// ---- DOT --------------------------------------------------------------------------------

function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function dotNode(node: GraphNode): string {
  const attrs = [`label=${dotString(node.undefinedSite ? `${node.name} (undefined)` : node.name)}`];
  if (node.kind === 'upstream') attrs.push('shape=cylinder');
  if (node.undefinedSite) attrs.push('color=red');
  return `${dotString(node.id)} [${attrs.join(', ')}];`;
}

function dotEdge(edge: GraphEdge): string {
  const attrs = [`label=${dotString(edge.label)}`];
  if (edge.style === 'dashed') attrs.push('style=dashed');
  if (edge.both) attrs.push('dir=both');
  return `${dotString(edge.from)} -> ${dotString(edge.to)} [${attrs.join(', ')}];`;
}

/** A Graphviz `digraph`: one `cluster_N` per group-by label value, upstreams as cylinders. */
export function renderDot(graph: TopologyGraph): string {
  const lines = ['digraph ferry {', '  rankdir=LR;', '  node [shape=box, style=rounded];'];
  const { groups, loose } = groupsOf(graph);
  groups.forEach(([value, nodes], i) => {
    lines.push(`  subgraph cluster_${i} {`, `    label=${dotString(`${graph.groupBy ?? 'group'}: ${value}`)};`);
    for (const node of nodes) lines.push(`    ${dotNode(node)}`);
    lines.push('  }');
  });
  for (const node of loose) lines.push(`  ${dotNode(node)}`);
  for (const edge of graph.edges) lines.push(`  ${dotEdge(edge)}`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
