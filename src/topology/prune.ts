/**
 * Salvaging a resource that failed the schema: remove the offending parts (and, when that
 * leaves a required field missing, its parent) until the rest passes. The salvaged copy is used
 * only by the semantic checks, so one typo does not hide every other problem of the same
 * resource (a bad cron next to a plaintext token); it never enters the returned topology.
 */
import type { Kind } from './model.js';
import { fromPointer } from './issues.js';
import { schemaErrorPaths } from './schemas.js';

const MAX_ROUNDS = 4;

/** Parts without which a resource means nothing: if one of them is invalid, nothing is salvaged. */
function isProtected(kind: Kind, pointer: string): boolean {
  if (pointer === '' || pointer === '/apiVersion' || pointer === '/kind' || pointer === '/metadata' || pointer === '/metadata/name') return true;
  return kind !== 'Site' && pointer === '/spec';
}

/**
 * A copy of `value` without the invalid parts and the pointers removed, or undefined when
 * nothing sensible remains.
 */
export function salvage(kind: Kind, value: Record<string, unknown>, first: string[]): { value: Record<string, unknown>; pruned: string[] } | undefined {
  let current: Record<string, unknown>;
  try {
    current = structuredClone(value);
  } catch {
    return undefined;
  }
  const pruned: string[] = [];
  let paths = [...new Set([...first, ...schemaErrorPaths(kind, current)])];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    if (paths.some((p) => isProtected(kind, p))) return undefined;
    for (const p of sortDeepestLast(paths).reverse()) removeAt(current, fromPointer(p));
    pruned.push(...paths);
    paths = schemaErrorPaths(kind, current);
    if (paths.length === 0) return { value: current, pruned };
  }
  return undefined;
}

/** Sorted by segments (numbers numerically); reversed, children and higher indices go first. */
function sortDeepestLast(paths: string[]): string[] {
  const cmp = (a: string[], b: string[]): number => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const x = a[i]!;
      const y = b[i]!;
      if (x === y) continue;
      const nx = Number(x);
      const ny = Number(y);
      if (Number.isInteger(nx) && Number.isInteger(ny)) return nx - ny;
      return x < y ? -1 : 1;
    }
    return a.length - b.length;
  };
  return paths.map((p) => ({ p, s: fromPointer(p) })).sort((a, b) => cmp(a.s, b.s)).map((x) => x.p);
}

function removeAt(root: Record<string, unknown>, segs: string[]): void {
  let node: unknown = root;
  for (const seg of segs.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return;
    node = (node as Record<string, unknown>)[seg];
  }
  const last = segs[segs.length - 1];
  if (last === undefined || node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    const i = Number(last);
    if (Number.isInteger(i) && i >= 0 && i < node.length) node.splice(i, 1);
  } else {
    delete (node as Record<string, unknown>)[last];
  }
}
