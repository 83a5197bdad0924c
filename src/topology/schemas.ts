/**
 * The JSON Schemas of `schemas/` (the source of truth), compiled once with ajv (2020-12,
 * allErrors, strict), and the mapping of ajv errors to ValidationIssues with positions.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { ValidationIssue } from './model.js';
import { IssueCode } from './codes.js';
import { fromPointer, makeIssue } from './issues.js';
import type { Locator } from './yaml-source.js';
import { isSecretPath } from './checks/secrets.js';

/** `schemas/` next to `src/` and `dist/` (both are one level below the package root). */
export const SCHEMA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'schemas');
const BASE_ID = 'https://ferry.dev/schemas/';

export const SchemaFiles = {
  Site: 'site.schema.json',
  Feed: 'feed.schema.json',
  Upstream: 'upstream.schema.json',
  Replication: 'replication.schema.json',
  SiteConfig: 'site-config.schema.json',
} as const;
export type SchemaName = keyof typeof SchemaFiles;

let compiled: Map<SchemaName, ValidateFunction> | undefined;

/** Compiled validators, built on first use and kept for the life of the process. */
function validators(): Map<SchemaName, ValidateFunction> {
  if (compiled) return compiled;
  const ajv = new Ajv2020({ allErrors: true, strict: true, verbose: true });
  for (const file of readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.schema.json')).sort()) {
    ajv.addSchema(JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8')) as object);
  }
  const map = new Map<SchemaName, ValidateFunction>();
  for (const [name, file] of Object.entries(SchemaFiles) as Array<[SchemaName, string]>) {
    const fn = ajv.getSchema(BASE_ID + file);
    if (!fn) throw new Error(`schema ${file} did not compile`);
    map.set(name, fn);
  }
  compiled = map;
  return map;
}

/** Named formats of common.schema.json and the code a mismatch gets. */
const DefCodes: Record<string, IssueCode> = {
  name: IssueCode.invalidName,
  tokenSha256: IssueCode.invalidTokenHash,
  duration: IssueCode.invalidDuration,
  bandwidth: IssueCode.invalidBandwidth,
  time: IssueCode.invalidTime,
  weekday: IssueCode.invalidDay,
  url: IssueCode.invalidUrl,
  feedType: IssueCode.invalidFeedType,
  labelKey: IssueCode.invalidLabel,
  labelValue: IssueCode.invalidLabel,
  secretRef: IssueCode.invalidSecretRef,
};

const DefHints: Record<string, string> = {
  name: 'a DNS label: lowercase letters, digits and "-", at most 63 characters, e.g. "hub-us"',
  tokenSha256: '64 lowercase hex digits: the sha256 that `ferry token new` prints',
  duration: 'a duration such as "60s", "5m" or "1h30m"',
  bandwidth: 'a rate such as "50Mbit/s", "10MB/s" or "512KiB/s"',
  time: 'a time "HH:MM" on the 24-hour clock, e.g. "22:00"',
  weekday: 'one of mon, tue, wed, thu, fri, sat, sun',
  url: 'an absolute http(s) URL without credentials, e.g. "https://hub.example.net"',
  feedType: 'one of oci, generic, debian, rpm, chocolatey',
  labelKey: 'a label key such as "role" or "example.com/tier"',
  labelValue: 'a label value: letters, digits, "-", "_" or ".", at most 63 characters',
  secretRef: 'exactly one of {env: NAME} or {file: /absolute/path}',
};

/**
 * Validates a value against a schema; returns issues positioned by `locate`. Paths under any
 * prefix in `suppress` are skipped (a plaintext secret already reported there).
 */
export function schemaIssues(schema: SchemaName, value: unknown, file: string, locate: Locator, suppress: string[] = []): ValidationIssue[] {
  const validate = validators().get(schema)!;
  if (validate(value)) return [];
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  for (const err of validate.errors ?? []) {
    const issue = toIssue(err, file, locate);
    if (!issue) continue;
    if (suppress.some((p) => issue.path === p || issue.path.startsWith(p + '/'))) continue;
    const key = `${issue.path}\u0000${issue.code}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}

/**
 * JSON pointers of what to remove so the value passes (used to check the rest of a broken
 * resource): the offending value, the unknown key, or, for a missing field, its parent.
 */
export function schemaErrorPaths(schema: SchemaName, value: unknown): string[] {
  const validate = validators().get(schema)!;
  if (validate(value)) return [];
  const out = new Set<string>();
  for (const err of validate.errors ?? []) {
    const params = err.params as Record<string, unknown>;
    if (err.keyword === 'if' || err.keyword === 'propertyNames') continue;
    if (err.keyword === 'additionalProperties') out.add(join2(err.instancePath, String(params.additionalProperty)));
    else if (err.propertyName !== undefined) out.add(join2(err.instancePath, err.propertyName));
    else out.add(err.instancePath);
  }
  return [...out];
}

function defName(schemaPath: string): string | undefined {
  const m = /\$defs\/([A-Za-z0-9]+)\/[A-Za-z]+$/.exec(schemaPath);
  return m?.[1];
}

function toIssue(err: ErrorObject, file: string, locate: Locator): ValidationIssue | undefined {
  const segs = fromPointer(err.instancePath);
  const params = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'if':
    case 'propertyNames':
      return undefined; // the nested error says it better
    case 'required': {
      const prop = String(params.missingProperty);
      const at = locate(segs, { key: true });
      return makeIssue('error', IssueCode.schemaRequired, `missing required field "${prop}"`, { ...at, file }, join2(err.instancePath, prop));
    }
    case 'additionalProperties': {
      const prop = String(params.additionalProperty);
      const allowed = Object.keys((err.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const hint = suggest(prop, allowed);
      const at = locate([...segs, prop], { key: true });
      const msg = `unknown field "${prop}"${hint ? `; did you mean "${hint}"?` : ''}${allowed.length ? ` (allowed: ${allowed.join(', ')})` : ''}`;
      return makeIssue('error', IssueCode.schemaUnknownField, msg, { ...at, file }, join2(err.instancePath, prop));
    }
  }
  const def = defName(err.schemaPath);
  if (err.propertyName !== undefined) {
    const at = locate([...segs, err.propertyName], { key: true });
    const code = (def ? DefCodes[def] : undefined) ?? IssueCode.schemaInvalid;
    const hint = (def ? DefHints[def] : undefined) ?? err.message;
    return makeIssue('error', code, `invalid key "${err.propertyName}": expected ${hint}`, { ...at, file }, join2(err.instancePath, err.propertyName));
  }
  const at = { ...locate(segs), file };
  const shown = isSecretPath(err.instancePath) ? 'value' : describeValue(err.data);
  const defCode = def ? DefCodes[def] : undefined;
  if (def && defCode && (err.keyword === 'pattern' || err.keyword === 'enum' || def === 'secretRef')) {
    const what = def === 'tokenSha256' || def === 'url' ? 'value' : shown; // never echo what may be a secret
    return makeIssue('error', defCode, `${what} is not valid: expected ${DefHints[def]}`, at, err.instancePath);
  }
  if (err.keyword === 'type') {
    const quote = params.type === 'string' && (typeof err.data === 'number' || typeof err.data === 'boolean') ? '; put the value in quotes so YAML reads it as text' : '';
    return makeIssue('error', IssueCode.schemaType, `${shown} must be ${String(params.type)}${quote}`, at, err.instancePath);
  }
  if (err.keyword === 'enum' || err.keyword === 'const') {
    const allowed = (params.allowedValues as unknown[] | undefined) ?? [params.allowedValue];
    return makeIssue('error', IssueCode.schemaEnum, `${shown} must be one of: ${allowed.map(String).join(', ')}`, at, err.instancePath);
  }
  return makeIssue('error', IssueCode.schemaInvalid, `${shown} ${err.message ?? 'is invalid'}`, at, err.instancePath);
}

function join2(pointer: string, prop: string): string {
  return `${pointer}/${prop.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/** A short, safe rendering of a value for messages (never a whole subtree). */
function describeValue(data: unknown): string {
  if (typeof data === 'string') return JSON.stringify(data.length > 80 ? data.slice(0, 77) + '...' : data);
  if (data === null) return 'null';
  if (Array.isArray(data)) return 'a list';
  if (typeof data === 'object') return 'a mapping';
  return String(data);
}

/** The allowed name closest to `prop` (edit distance ≤ 2, or a case-insensitive match). */
function suggest(prop: string, allowed: string[]): string | undefined {
  let best: string | undefined;
  let bestDist = 3;
  for (const a of allowed) {
    if (a.toLowerCase() === prop.toLowerCase()) return a;
    const d = editDistance(prop, a, bestDist);
    if (d < bestDist) {
      best = a;
      bestDist = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) >= cap) return cap;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
