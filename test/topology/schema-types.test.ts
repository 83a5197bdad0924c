/**
 * One source of truth: the TypeScript model (src/topology/model.ts) must match the JSON Schemas
 * exactly. This test generates TypeScript types from the schemas, then has the TypeScript
 * compiler check that each generated type and its model type are identical (same properties,
 * same optionality, same value types, recursively). Adding, removing or retyping a field in
 * one place and not the other fails here.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SCHEMAS = join(ROOT, 'schemas');

type Schema = Record<string, unknown> & {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  $defs?: Record<string, Schema>;
};

const docs = new Map<string, Schema>();
for (const f of ['common', 'site', 'feed', 'upstream', 'replication', 'site-config']) {
  docs.set(`${f}.schema.json`, JSON.parse(readFileSync(join(SCHEMAS, `${f}.schema.json`), 'utf8')) as Schema);
}

function resolveRef(ref: string, current: string): { schema: Schema; file: string } {
  const [filePart, pointer] = ref.split('#');
  const file = filePart === '' || filePart === undefined ? current : filePart;
  const doc = docs.get(file);
  if (!doc || !pointer) throw new Error(`unresolvable $ref ${ref}`);
  let node: unknown = doc;
  for (const seg of pointer.split('/').filter(Boolean)) node = (node as Record<string, unknown>)[seg];
  return { schema: node as Schema, file };
}

/** A TypeScript type expression for a schema (the subset of JSON Schema our schemas use). */
export function toTs(schema: Schema, file: string): string {
  if (schema.$ref) {
    const { schema: target, file: targetFile } = resolveRef(schema.$ref, file);
    return toTs(target, targetFile);
  }
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  switch (schema.type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
      return `Array<${toTs(schema.items ?? {}, file)}>`;
    case 'object': {
      const props = Object.entries(schema.properties ?? {});
      if (props.length === 0 && typeof schema.additionalProperties === 'object') return `Record<string, ${toTs(schema.additionalProperties, file)}>`;
      const required = new Set(schema.required ?? []);
      return `{ ${props.map(([k, v]) => `${JSON.stringify(k)}${required.has(k) ? '' : '?'}: ${toTs(v, file)};`).join(' ')} }`;
    }
    default:
      throw new Error(`schema without a type the generator knows: ${JSON.stringify(schema).slice(0, 200)}`);
  }
}

/** Pairs that must be identical: [label, type from the schemas, type from the model]. */
const PAIRS: Array<[string, string, string]> = [
  ['Site', toTs(docs.get('site.schema.json')!, 'site.schema.json'), "Omit<M.Site, 'source' | 'spec'> & { spec?: M.SiteSpec }"],
  ['SiteSpec', toTs(docs.get('site.schema.json')!.properties!.spec!, 'site.schema.json'), 'M.SiteSpec'],
  ['Feed', toTs(docs.get('feed.schema.json')!, 'feed.schema.json'), "Omit<M.Feed, 'source'>"],
  ['FeedSpec', toTs(docs.get('feed.schema.json')!.properties!.spec!, 'feed.schema.json'), 'M.FeedSpec'],
  ['Upstream', toTs(docs.get('upstream.schema.json')!, 'upstream.schema.json'), "Omit<M.Upstream, 'source'>"],
  ['Replication', toTs(docs.get('replication.schema.json')!, 'replication.schema.json'), "Omit<M.Replication, 'source'>"],
  ['ReplicationSpec', toTs(docs.get('replication.schema.json')!.properties!.spec!, 'replication.schema.json'), 'M.ReplicationSpec'],
  ['SiteConfig', toTs(docs.get('site-config.schema.json')!, 'site-config.schema.json'), 'M.SiteConfig'],
  ['FeedType', toTs({ $ref: '#/$defs/feedType' }, 'common.schema.json'), 'M.FeedType'],
  ['LabelSelector', toTs({ $ref: '#/$defs/labelSelector' }, 'common.schema.json'), 'M.LabelSelector'],
  ['SecretSource', toTs({ $ref: '#/$defs/secretSource' }, 'common.schema.json'), 'M.SecretSource'],
];

function diagnose(file: string): readonly ts.Diagnostic[] {
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
    types: [],
  });
  return ts.getPreEmitDiagnostics(program);
}

const cleanup: string[] = [];
afterAll(async () => {
  await Promise.all(cleanup.map((d) => rm(d, { recursive: true, force: true })));
});

async function check(pairs: Array<[string, string, string]>): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-schema-types-'));
  cleanup.push(dir);
  const file = join(dir, 'check.mts');
  const model = join(ROOT, 'src', 'topology', 'model.js');
  const source = [
    `import type * as M from ${JSON.stringify(model)};`,
    'type Deep<T> = T extends object ? { [K in keyof T]-?: [Deep<T[K]>, undefined extends T[K] ? "optional" : "required"] } : T;',
    'type Equals<X, Y> = (<T>() => T extends X ? 1 : 2) extends (<T>() => T extends Y ? 1 : 2) ? true : false;',
    ...pairs.map(([label, gen, mod], i) => `export const ok${i}_${label}: Equals<Deep<${gen}>, Deep<${mod}>> = true;`),
  ].join('\n');
  await writeFile(file, source);
  // Name the failing pair: the diagnostic's line is the pair's `export const okN_Label` line.
  const lines = source.split('\n');
  return diagnose(file).map((d) => {
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
    const label = /ok\d+_(\w+)/.exec(lines[line] ?? '')?.[1] ?? 'setup';
    return `${label}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ').slice(0, 300)}`;
  });
}

describe('schemas and model.ts agree', () => {
  it('generated types are identical to the model types', async () => {
    expect(await check(PAIRS)).toEqual([]);
  }, 60_000);

  it('the check really fails on drift (a field missing from the model, an optional made required)', async () => {
    const gen = toTs(docs.get('feed.schema.json')!.properties!.spec!, 'feed.schema.json');
    const errors = await check([
      ['ExtraField', gen.replace('{ "type"', '{ "color"?: string; "type"'), 'M.FeedSpec'],
      ['Optionality', gen.replace('"sites"?:', '"sites":'), 'M.FeedSpec'],
      ['Same', gen, 'M.FeedSpec'],
    ]);
    expect(errors.map((e) => e.split(':')[0])).toEqual(['ExtraField', 'Optionality']);
  }, 60_000);
});
