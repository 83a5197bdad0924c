/**
 * Ping-pong detection: pull and push replications move content one way, from (site, feed) to
 * (site, feed). A cycle in that graph sends the same content around forever (and with
 * `deletes: propagate`, deletions too). Mirror is the only two-way mode and is left out.
 * Tarjan's strongly connected components, iterative: linear in nodes + edges.
 */
import { IssueCode } from '../codes.js';
import type { Replication } from '../model.js';
import type { CheckContext } from './context.js';
import type { ResolvedReplication } from './replications.js';

interface Edge {
  to: number;
  r: Replication;
}

export function checkLoops(ctx: CheckContext, resolved: ResolvedReplication[]): void {
  const ids = new Map<string, number>();
  const labels: string[] = [];
  const adj: Edge[][] = [];
  const node = (site: string, feed: string): number => {
    const key = `${site}\u0000${feed}`;
    let id = ids.get(key);
    if (id === undefined) {
      id = labels.length;
      ids.set(key, id);
      labels.push(`${site}/${feed}`);
      adj.push([]);
    }
    return id;
  };
  for (const x of resolved) {
    if (x.r.spec.mode === 'mirror' || !x.sourceSite || !x.sourceFeed || !x.targetFeedName) continue;
    const from = node(x.sourceSite.metadata.name, x.sourceFeed.metadata.name);
    for (const t of x.targets) {
      const to = node(t.metadata.name, x.targetFeedName);
      if (to !== from) adj[from]!.push({ to, r: x.r });
    }
  }
  for (const component of stronglyConnected(adj)) {
    if (component.length < 2) continue;
    const members = new Set(component);
    const involved = new Set<Replication>();
    for (const n of component) for (const e of adj[n]!) if (members.has(e.to)) involved.add(e.r);
    const list = [...involved];
    const cycle = component.map((n) => labels[n]).slice(0, 6).join(', ');
    for (const r of list) {
      const others = list.filter((o) => o !== r).map((o) => `"${o.metadata.name}" (${ctx.where(o)})`).slice(0, 5).join(', ');
      ctx.error(
        IssueCode.replicationLoop,
        `replication "${r.metadata.name}" is part of a loop with ${others}: content would ping-pong between ${cycle}; use one replication with mode: mirror for two-way sync, or remove one direction`,
        r,
        ['spec', 'source', 'site'],
      );
    }
  }
}

/** Tarjan's SCC without recursion (topologies can hold thousands of sites). */
function stronglyConnected(adj: Edge[][]): number[][] {
  const n = adj.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const out: number[][] = [];
  let counter = 0;
  for (let start = 0; start < n; start++) {
    if (index[start] !== -1) continue;
    const work: Array<[number, number]> = [[start, 0]];
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const [v, i] = frame;
      if (i === 0 && index[v] === -1) {
        index[v] = low[v] = counter++;
        stack.push(v);
        onStack[v] = 1;
      }
      const edges = adj[v]!;
      if (i < edges.length) {
        frame[1] = i + 1;
        const w = edges[i]!.to;
        if (index[w] === -1) work.push([w, 0]);
        else if (onStack[w]) low[v] = Math.min(low[v]!, index[w]!);
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low[parent[0]] = Math.min(low[parent[0]]!, low[v]!);
      if (low[v] === index[v]) {
        const comp: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          comp.push(w);
        } while (w !== v);
        out.push(comp);
      }
    }
  }
  return out;
}
