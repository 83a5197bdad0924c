/**
 * Docs stay in step with the schemas and codes: every schema field is documented on its kind's
 * page, every property has a description, every issue code has a section with an example, and
 * the YAML examples of the pages are themselves valid.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { IssueCode, loadTopologyFiles, validateSiteConfig } from '../../src/topology/index.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
type Schema = { $ref?: string; type?: string; description?: string; properties?: Record<string, Schema>; items?: Schema; $defs?: Record<string, Schema>; additionalProperties?: boolean | Schema };

const schemas = new Map<string, Schema>();
for (const f of ['common', 'site', 'feed', 'upstream', 'replication', 'site-config']) {
  schemas.set(`${f}.schema.json`, JSON.parse(readFileSync(join(ROOT, 'schemas', `${f}.schema.json`), 'utf8')) as Schema);
}

function deref(s: Schema, file: string): [Schema, string] {
  if (!s.$ref) return [s, file];
  const [f, pointer] = s.$ref.split('#');
  const target = f ? f : file;
  let node: unknown = schemas.get(target);
  for (const seg of (pointer ?? '').split('/').filter(Boolean)) node = (node as Record<string, unknown>)[seg];
  return deref(node as Schema, target);
}

/** Dotted field paths (`spec.incoming[].tokenSha256`) of a schema. */
function fieldPaths(schema: Schema, file: string, prefix = ''): string[] {
  const [s, f] = deref(schema, file);
  const out: string[] = [];
  for (const [k, v] of Object.entries(s.properties ?? {})) {
    const path = prefix ? `${prefix}.${k}` : k;
    out.push(path, ...fieldPaths(v, f, path));
  }
  const [items, itemsFile] = s.items ? deref(s.items, f) : [undefined, f];
  if (items) out.push(...fieldPaths(items, itemsFile, `${prefix}[]`));
  return out;
}

const PAGES: Array<[string, string]> = [
  ['site.schema.json', 'site.md'],
  ['feed.schema.json', 'feed.md'],
  ['upstream.schema.json', 'upstream.md'],
  ['replication.schema.json', 'replication.md'],
  ['site-config.schema.json', 'site-config.md'],
];

const page = (name: string): string => readFileSync(join(ROOT, 'docs', 'kinds', name), 'utf8');
const yamlBlocks = (md: string): string[] => [...md.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('docs/kinds', () => {
  it.each(PAGES)('every field of %s is documented in docs/kinds/%s', (schemaFile, doc) => {
    const text = page(doc);
    const missing = fieldPaths(schemas.get(schemaFile)!, schemaFile).filter((p) => !text.includes(`\`${p}\``));
    expect(missing).toEqual([]);
  });

  it.each(PAGES)('every field documented in docs/kinds/%s... exists in %s', (schemaFile, doc) => {
    const fields = new Set(fieldPaths(schemas.get(schemaFile)!, schemaFile));
    const rows = [...page(doc).matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!);
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.filter((r) => !fields.has(r))).toEqual([]);
  });

  it('every property of every schema has a description', () => {
    const missing: string[] = [];
    const walk = (s: Schema, where: string): void => {
      for (const [k, v] of Object.entries(s.properties ?? {})) {
        if (!v.description) missing.push(`${where}.${k}`);
        walk(v, `${where}.${k}`);
      }
      if (s.items) walk(s.items, `${where}[]`);
      if (typeof s.additionalProperties === 'object') walk(s.additionalProperties, `${where}.*`);
      for (const [k, v] of Object.entries(s.$defs ?? {})) walk(v, `${where}#${k}`);
    };
    for (const [file, s] of schemas) walk(s, file);
    expect(missing).toEqual([]);
  });

  it.each(PAGES.filter(([, d]) => d !== 'site-config.md'))('the YAML examples of %s pass the schema', (_schema, doc) => {
    const blocks = yamlBlocks(page(doc));
    expect(blocks.length).toBeGreaterThan(0);
    const result = loadTopologyFiles(blocks.map((content, i) => ({ path: `${doc}-${i}.yaml`, content })));
    const shapeProblems = result.issues.filter((i) => /^(SCHEMA_|INVALID_|YAML_|PLAINTEXT|NOT_A|UNSUPPORTED|UNKNOWN)/.test(i.code));
    expect(shapeProblems).toEqual([]);
  });

  it('the YAML examples of site-config.md are valid site configs', () => {
    const blocks = yamlBlocks(page('site-config.md'));
    expect(blocks.length).toBe(2);
    for (const block of blocks) expect(validateSiteConfig('site.yaml', block).issues).toEqual([]);
  });
});

describe('docs/validation-codes.md', () => {
  const text = readFileSync(join(ROOT, 'docs', 'validation-codes.md'), 'utf8');
  const sections = text.split(/^### /m).slice(1);

  it('has one section per issue code, each with an example output line, and no stale section', () => {
    const byCode = new Map(sections.map((s) => [s.split('\n')[0]!.trim(), s]));
    for (const code of Object.values(IssueCode)) {
      const section = byCode.get(code);
      expect(section, code).toBeDefined();
      expect(section, code).toMatch(new RegExp(`^\\S+:\\d+:\\d+: (error|warning) ${code} `, 'm'));
    }
    expect([...byCode.keys()].filter((c) => !(Object.values(IssueCode) as string[]).includes(c))).toEqual([]);
  });
});
