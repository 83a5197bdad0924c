/**
 * The subset of OData v2 `$filter` and `$orderby` (odata.org, "URI Conventions (OData Version
 * 2.0)" sections 4.5 and 4.2) that NuGet and Chocolatey clients send:
 *
 *   IsLatestVersion · IsAbsoluteLatestVersion · not IsPrerelease
 *   tolower(Id) eq 'x' · Id eq 'x' and Version eq '1.0' · (a) or (b)
 *   substringof('x', tolower(Id)) · startswith(tolower(Id), 'x') · endswith(…) · indexof(…) ne -1
 *   $orderby=Id · DownloadCount desc,Id · concat(Title, Id)
 *
 * Contract: `compileFilter` turns an expression into a predicate over a property bag or throws
 * FEED_INVALID_REQUEST (unknown syntax, function or property, nesting beyond a fixed depth, or
 * an expression longer than 2,000 characters). Nothing is evaluated with `eval`.
 */
import { feedError, FeedErrorCode } from '../artifact/index.js';
import { compareVersions, parseVersion } from './version.js';

export type Value = string | number | boolean | null;
export type Properties = Readonly<Record<string, Value>>;
export type Predicate = (p: Properties) => boolean;

type Expr =
  | { k: 'lit'; v: Value }
  | { k: 'prop'; name: string }
  | { k: 'call'; fn: string; args: Expr[] }
  | { k: 'not'; e: Expr }
  | { k: 'bin'; op: string; l: Expr; r: Expr };

const MAX_LENGTH = 2000;
const MAX_DEPTH = 32;
const TOKEN = /\s*(?:('(?:[^']|'')*')|(-?\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(\(|\)|,))/y;
const COMPARE = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);
const VERSION_PROPERTIES = new Set(['Version', 'NormalizedVersion']);

function invalid(reason: string): Error {
  return feedError(FeedErrorCode.invalidRequest, `unsupported OData expression: ${reason}`, { reason });
}

interface Token {
  t: 'str' | 'num' | 'id' | 'punct';
  v: string;
}

function tokenize(src: string): Token[] {
  if (src.length > MAX_LENGTH) throw invalid('too long');
  const out: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < src.length) {
    if (/^\s*$/.test(src.slice(TOKEN.lastIndex))) break;
    const m = TOKEN.exec(src);
    if (!m) throw invalid(`unexpected text at ${TOKEN.lastIndex}`);
    if (m[1] !== undefined) out.push({ t: 'str', v: m[1].slice(1, -1).replace(/''/g, "'") });
    else if (m[2] !== undefined) out.push({ t: 'num', v: m[2] });
    else if (m[3] !== undefined) out.push({ t: 'id', v: m[3] });
    else out.push({ t: 'punct', v: m[4] ?? '' });
  }
  return out;
}

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly properties: ReadonlySet<string>,
  ) {}

  parse(): Expr {
    const e = this.or(0);
    if (this.i !== this.tokens.length) throw invalid('trailing tokens');
    return e;
  }

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  private keyword(word: string): boolean {
    const t = this.peek();
    if (t?.t === 'id' && t.v.toLowerCase() === word) {
      this.i++;
      return true;
    }
    return false;
  }

  private expect(punct: string): void {
    const t = this.tokens[this.i++];
    if (t?.t !== 'punct' || t.v !== punct) throw invalid(`expected ${punct}`);
  }

  private or(d: number): Expr {
    let l = this.and(d);
    while (this.keyword('or')) l = { k: 'bin', op: 'or', l, r: this.and(d) };
    return l;
  }

  private and(d: number): Expr {
    let l = this.unary(d);
    while (this.keyword('and')) l = { k: 'bin', op: 'and', l, r: this.unary(d) };
    return l;
  }

  private unary(d: number): Expr {
    if (d > MAX_DEPTH) throw invalid('too deeply nested');
    if (this.keyword('not')) return { k: 'not', e: this.unary(d + 1) };
    return this.comparison(d);
  }

  private comparison(d: number): Expr {
    const l = this.primary(d);
    const t = this.peek();
    if (t?.t === 'id' && COMPARE.has(t.v.toLowerCase())) {
      this.i++;
      return { k: 'bin', op: t.v.toLowerCase(), l, r: this.primary(d) };
    }
    return l;
  }

  private primary(d: number): Expr {
    const t = this.tokens[this.i++];
    if (!t) throw invalid('unexpected end');
    if (t.t === 'str') return { k: 'lit', v: t.v };
    if (t.t === 'num') return { k: 'lit', v: Number(t.v) };
    if (t.t === 'punct' && t.v === '(') {
      const e = this.or(d + 1);
      this.expect(')');
      return e;
    }
    if (t.t !== 'id') throw invalid(`unexpected ${t.v}`);
    const lower = t.v.toLowerCase();
    if (lower === 'true' || lower === 'false') return { k: 'lit', v: lower === 'true' };
    if (lower === 'null') return { k: 'lit', v: null };
    if (this.peek()?.v === '(') {
      if (!(lower in FUNCTIONS)) throw invalid(`unknown function ${t.v}`);
      this.i++;
      const args: Expr[] = [];
      if (this.peek()?.v !== ')') {
        do args.push(this.or(d + 1));
        while (this.peek()?.v === ',' && ++this.i);
      }
      this.expect(')');
      return { k: 'call', fn: lower, args };
    }
    if (!this.properties.has(t.v)) throw invalid(`unknown property ${t.v}`);
    return { k: 'prop', name: t.v };
  }
}

const s = (v: Value): string => (v === null ? '' : String(v));

const FUNCTIONS: Record<string, (a: Value[]) => Value> = {
  tolower: ([x]) => s(x ?? null).toLowerCase(),
  toupper: ([x]) => s(x ?? null).toUpperCase(),
  trim: ([x]) => s(x ?? null).trim(),
  length: ([x]) => s(x ?? null).length,
  substringof: ([needle, hay]) => s(hay ?? null).includes(s(needle ?? null)),
  startswith: ([hay, needle]) => s(hay ?? null).startsWith(s(needle ?? null)),
  endswith: ([hay, needle]) => s(hay ?? null).endsWith(s(needle ?? null)),
  indexof: ([hay, needle]) => s(hay ?? null).indexOf(s(needle ?? null)),
  concat: (args) => args.map(s).join(''),
};

function compare(op: string, a: Value, b: Value): boolean {
  if (op === 'eq') return a === b;
  if (op === 'ne') return a !== b;
  if (a === null || b === null) return false;
  const c = typeof a === 'number' && typeof b === 'number' ? a - b : s(a) < s(b) ? -1 : s(a) > s(b) ? 1 : 0;
  return op === 'gt' ? c > 0 : op === 'ge' ? c >= 0 : op === 'lt' ? c < 0 : c <= 0;
}

function evaluate(e: Expr, p: Properties): Value {
  switch (e.k) {
    case 'lit':
      return e.v;
    case 'prop':
      return p[e.name] ?? null;
    case 'not':
      return !evaluate(e.e, p);
    case 'call':
      return FUNCTIONS[e.fn]!(e.args.map((a) => evaluate(a, p)));
    case 'bin':
      if (e.op === 'and') return evaluate(e.l, p) === true && evaluate(e.r, p) === true;
      if (e.op === 'or') return evaluate(e.l, p) === true || evaluate(e.r, p) === true;
      return compare(e.op, evaluate(e.l, p), evaluate(e.r, p));
  }
}

/** A predicate for `$filter` (undefined/empty → everything). */
export function compileFilter(filter: string | undefined, properties: ReadonlySet<string>): Predicate {
  if (!filter || !filter.trim()) return () => true;
  const expr = new Parser(tokenize(filter), properties).parse();
  return (p) => evaluate(expr, p) === true;
}

export type Comparator = (a: Properties, b: Properties) => number;

/** A comparator for `$orderby` (`expr [asc|desc], …`); undefined when none was asked. */
export function compileOrderBy(orderBy: string | undefined, properties: ReadonlySet<string>): Comparator | undefined {
  if (!orderBy || !orderBy.trim()) return undefined;
  const keys = splitTopLevel(orderBy).map((part) => {
    const m = /^(.*?)(?:\s+(asc|desc))?\s*$/i.exec(part.trim());
    const expr = new Parser(tokenize(m?.[1] ?? ''), properties).parse();
    return { expr, dir: m?.[2]?.toLowerCase() === 'desc' ? -1 : 1 };
  });
  return (a, b) => {
    for (const { expr, dir } of keys) {
      const x = evaluate(expr, a);
      const y = evaluate(expr, b);
      if (x === y) continue;
      if (x === null) return -dir;
      if (y === null) return dir;
      const c = compareValues(expr, x, y);
      if (c !== 0) return c * dir;
    }
    return 0;
  };
}

/** Numbers numerically, versions by NuGet precedence (`1.10` after `1.9`), text case-insensitively. */
function compareValues(expr: Expr, x: Value, y: Value): number {
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  if (expr.k === 'prop' && VERSION_PROPERTIES.has(expr.name)) {
    const vx = parseVersion(s(x));
    const vy = parseVersion(s(y));
    if (vx && vy) return compareVersions(vx, vy);
  }
  // Ordinal, case-insensitive: stable across locales and much cheaper than localeCompare.
  const a = s(x).toLowerCase();
  const b = s(y).toLowerCase();
  return a < b ? -1 : a > b ? 1 : 0;
}

function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'") quote = !quote;
    else if (!quote && c === '(') depth++;
    else if (!quote && c === ')') depth--;
    else if (!quote && depth === 0 && c === ',') {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}
