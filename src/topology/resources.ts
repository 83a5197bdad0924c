/**
 * Turns parsed documents into typed resources: document shape, apiVersion/kind, plaintext
 * secrets, schema, duplicate names. Only documents that pass all of it enter the topology.
 */
import { API_VERSION, Kinds, type AnyResource, type Kind, type SourcePosition, type ValidationIssue } from './model.js';
import { IssueCode } from './codes.js';
import { makeIssue, where } from './issues.js';
import { schemaIssues } from './schemas.js';
import { scanSecrets } from './checks/secrets.js';
import { salvage } from './prune.js';
import type { Locator, ParsedDocument } from './yaml-source.js';

/** A resource with the locator of its document (kept only while validating). */
export interface Entry {
  res: AnyResource;
  file: string;
  locate: Locator;
  /** Failed the schema; `res` is what remained after removing the invalid parts (checks only). */
  partial?: boolean;
  /** With `partial`: JSON pointers of the parts removed. */
  pruned?: string[];
}

/** Names seen per kind (also of resources that failed the schema), with where they were first. */
export type KnownNames = Record<Kind, Map<string, SourcePosition>>;

export function emptyKnownNames(): KnownNames {
  return { Site: new Map(), Feed: new Map(), Upstream: new Map(), Replication: new Map() };
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Validates one document. Returns its entry when it is a resource: valid, or `partial` (failed
 * the schema but salvageable for the semantic checks); undefined when nothing can be used.
 */
export function readResource(doc: ParsedDocument, file: string, known: KnownNames, issues: ValidationIssue[]): Entry | undefined {
  const { value, locate } = doc;
  const at = (segs: string[], key = false): SourcePosition => ({ ...locate(segs, { key }), file });
  if (!isRecord(value) || (value.apiVersion === undefined && value.kind === undefined)) {
    issues.push(makeIssue('error', IssueCode.notAResource, 'document is not a ferry resource: expected a mapping with `apiVersion: ferry/v1` and `kind`', doc.start, ''));
    return undefined;
  }
  if (value.apiVersion !== API_VERSION) {
    const shown = typeof value.apiVersion === 'string' ? `"${value.apiVersion.slice(0, 60)}"` : 'missing';
    issues.push(makeIssue('error', IssueCode.unsupportedApiVersion, `apiVersion ${shown} is not supported: use "${API_VERSION}"`, value.apiVersion === undefined ? doc.start : at(['apiVersion']), '/apiVersion'));
    return undefined;
  }
  const kind = value.kind;
  if (typeof kind !== 'string' || !(Kinds as readonly string[]).includes(kind)) {
    const shown = typeof kind === 'string' ? `"${kind.slice(0, 60)}"` : 'missing';
    issues.push(makeIssue('error', IssueCode.unknownKind, `kind ${shown} is not a ferry kind: use one of ${Kinds.join(', ')}`, kind === undefined ? doc.start : at(['kind']), '/kind'));
    return undefined;
  }
  const k = kind as Kind;
  const secrets = scanSecrets(value, file, locate);
  issues.push(...secrets.issues);
  const schemaProblems = schemaIssues(k, value, file, locate, secrets.suppress);
  issues.push(...schemaProblems);
  const name = isRecord(value.metadata) && typeof value.metadata.name === 'string' ? value.metadata.name : undefined;
  if (name !== undefined) {
    const first = known[k].get(name);
    if (first) {
      issues.push(makeIssue('error', IssueCode.duplicateName, `${k} "${name}" is defined twice; the first is at ${where(first)}`, at(['metadata', 'name']), '/metadata/name'));
      return undefined;
    }
    known[k].set(name, at(['metadata', 'name']));
  }
  const partial = schemaProblems.length > 0 || secrets.issues.length > 0;
  const salvaged = partial ? salvage(k, value, secrets.suppress) : { value, pruned: [] };
  if (!salvaged) return undefined;
  const checked = salvaged.value;
  // A Site may omit `spec` (all of its fields are optional); the model always has one.
  const withSpec = k === 'Site' && checked.spec === undefined ? { ...checked, spec: {} } : checked;
  const res = deepFreeze({ ...withSpec, source: doc.start }) as AnyResource;
  return partial ? { res, file, locate, partial, pruned: salvaged.pruned } : { res, file, locate };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
