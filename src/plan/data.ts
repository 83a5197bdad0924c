/** Helpers for the plain, frozen, deterministic data the plan domain returns. */

/** Freezes a JSON-like value and everything inside it; returns it typed as given. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** A detached JSON copy (topology resources carry no functions, cycles or undefined-in-arrays). */
export function plainCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Code-unit order: independent of locale, so output is byte-identical everywhere. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Copies `value` with its object keys sorted recursively, so JSON of equal values is equal. */
export function sortedKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => sortedKeys(v)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort(compareStrings)) out[key] = sortedKeys((value as Record<string, unknown>)[key]);
    return out as T;
  }
  return value;
}
