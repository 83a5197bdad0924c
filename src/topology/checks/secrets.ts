/**
 * Plaintext secrets in Git (DESIGN.md section 2: "Tokens and credentials are never in Git").
 * Runs on the raw document before the schema so the schema's own complaints about the same
 * place (which could echo the value) are suppressed. Messages never contain the secret.
 */
import type { SourcePosition, ValidationIssue } from '../model.js';
import { IssueCode } from '../codes.js';
import { makeIssue, toPointer } from '../issues.js';
import type { Locator } from '../yaml-source.js';

/** Keys whose value must be a `{secretRef: …}` (or, for tokenSha256, a hash). */
export const SECRET_KEYS = /^(token|tokens|password|passwd|secret|secrets|apikey|api_key|api-key|credentials|auth|authorization|privatekey|private_key|accesskey|secretkey|webhook)$/i;

/** True when a JSON pointer passes through a secret position (its values must never be echoed). */
export function isSecretPath(pointer: string): boolean {
  return pointer.split('/').some((seg) => seg === 'secretRef' || seg === 'tokenSha256' || SECRET_KEYS.test(seg));
}
const MAX_NODES = 10_000;
const MAX_DEPTH = 8;

export const FIX_SECRET =
  'secrets never go in Git: remove it (and rotate it, it is in the history now), keep it on the site that needs it and write `{secretRef: {env: NAME}}` or `{secretRef: {file: /path}}`; for a sync token run `ferry token new` and put only its sha256 in the accepting site\'s `incoming[].tokenSha256`';

export interface SecretScan {
  issues: ValidationIssue[];
  /** JSON pointers already reported; schema issues under them are dropped. */
  suppress: string[];
}

/** Scans a document (bounded walk) for plaintext secrets and URLs with credentials. */
export function scanSecrets(value: unknown, file: string, locate: Locator): SecretScan {
  const scan: SecretScan = { issues: [], suppress: [] };
  let budget = MAX_NODES;
  const report = (path: Array<string | number>, what: string): void => {
    const at: SourcePosition = { ...locate(path), file };
    const pointer = toPointer(path);
    scan.issues.push(makeIssue('error', IssueCode.plaintextSecret, `${what}: ${FIX_SECRET}`, at, pointer));
    scan.suppress.push(pointer);
  };
  const walk = (node: unknown, path: Array<string | number>, depth: number): void => {
    if (--budget < 0 || depth > MAX_DEPTH || node === null || typeof node !== 'object') return;
    const entries: Array<[string | number, unknown]> = Array.isArray(node) ? node.map((v, i) => [i, v]) : Object.entries(node);
    for (const [key, child] of entries) {
      const here = [...path, key];
      if (typeof key === 'string' && SECRET_KEYS.test(key) && isPlaintext(child)) {
        report(here, `plaintext secret in "${key}"`);
      } else if (key === 'tokenSha256' && typeof child === 'string' && /^ferry_/.test(child)) {
        report(here, '"tokenSha256" holds a sync token, not its sha256');
      } else if (key === 'url' && typeof child === 'string' && hasUserInfo(child)) {
        report(here, `"url" contains a user name or password`);
      } else {
        walk(child, here, depth + 1);
      }
    }
  };
  walk(value, [], 0);
  return scan;
}

/**
 * True when the value holds literal secret material: a non-empty scalar, or a mapping without
 * `secretRef` that carries scalars (e.g. `{username: u, password: p}`). `{env: X}` alone is a
 * mistyped reference, left to the schema.
 */
function isPlaintext(value: unknown): boolean {
  if (typeof value === 'string') return value.length > 0;
  if (typeof value === 'number') return true;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const entries = Object.entries(value);
  if (entries.length > 0 && entries.every(([k]) => k === 'env' || k === 'file')) return false;
  // Anything next to (or instead of) `secretRef` that holds a scalar is literal material.
  return entries.some(([k, v]) => k !== 'secretRef' && (typeof v === 'string' || typeof v === 'number'));
}

function hasUserInfo(url: string): boolean {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url);
  return m !== null && m[1]!.includes('@');
}
