/**
 * The incoming rules file of `ferry serve --incoming FILE`: a YAML list shaped like
 * `Site.spec.incoming` (DESIGN.md section 2), or a mapping `{incoming: [...], anonymousRead: bool}`.
 * Every problem is collected (not just the first) and thrown together as AUTH_RULES_INVALID with
 * `data.issues`; nothing in the file is ever echoed (it holds hashes, but stay conservative).
 */
import { readFile, stat } from 'node:fs/promises';
import { parse } from 'yaml';
import { FerryError } from '../../errors/index.js';
import { AuthErrorCode } from './errors.js';
import type { IncomingRule } from './types.js';

const MAX_FILE_BYTES = 1024 * 1024;
const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SHA256_HEX = /^[a-f0-9]{64}$/;

export interface IncomingFile {
  incoming: IncomingRule[];
  anonymousRead?: boolean;
}

export async function readIncomingFile(path: string): Promise<IncomingFile> {
  const info = await stat(path);
  if (info.size > MAX_FILE_BYTES) {
    throw new FerryError(AuthErrorCode.rulesInvalid, `incoming rules file is larger than ${MAX_FILE_BYTES} bytes`, { data: { path } });
  }
  return parseIncomingFile(await readFile(path, 'utf8'), path);
}

export function parseIncomingFile(text: string, path = '<incoming>'): IncomingFile {
  let doc: unknown;
  try {
    // maxAliasCount guards against alias bombs.
    doc = parse(text, { maxAliasCount: 50 });
  } catch (err) {
    throw new FerryError(AuthErrorCode.rulesInvalid, `incoming rules file is not valid YAML`, { data: { path }, cause: err });
  }
  const issues: string[] = [];
  let list: unknown = doc;
  let anonymousRead: boolean | undefined;
  if (doc && typeof doc === 'object' && !Array.isArray(doc)) {
    const obj = doc as Record<string, unknown>;
    list = obj.incoming ?? [];
    if (obj.anonymousRead !== undefined) {
      if (typeof obj.anonymousRead === 'boolean') anonymousRead = obj.anonymousRead;
      else issues.push('/anonymousRead: must be a boolean');
    }
  } else if (doc === null || doc === undefined) {
    list = [];
  }
  if (!Array.isArray(list)) {
    issues.push('/: must be a list of incoming rules');
    list = [];
  }
  const rules = (list as unknown[]).map((item, i) => checkRule(item, `/${i}`, issues));
  const names = new Set<string>();
  for (const rule of rules) {
    if (names.has(rule.name)) issues.push(`duplicate rule name ${rule.name}`);
    names.add(rule.name);
  }
  if (issues.length > 0) {
    throw new FerryError(AuthErrorCode.rulesInvalid, `invalid incoming rules in ${path}: ${issues.join('; ')}`, { data: { path, issues } });
  }
  return anonymousRead === undefined ? { incoming: rules } : { incoming: rules, anonymousRead };
}

function checkRule(item: unknown, at: string, issues: string[]): IncomingRule {
  const rule = (item && typeof item === 'object' ? item : {}) as Record<string, unknown>;
  if (!item || typeof item !== 'object' || Array.isArray(item)) issues.push(`${at}: must be a mapping`);
  const known = new Set(['name', 'tokenSha256', 'access', 'feeds']);
  for (const key of Object.keys(rule)) if (!known.has(key)) issues.push(`${at}/${key}: unknown field`);
  if (typeof rule.name !== 'string' || !NAME.test(rule.name)) issues.push(`${at}/name: must be a DNS label`);
  if (typeof rule.tokenSha256 !== 'string' || !SHA256_HEX.test(rule.tokenSha256)) {
    issues.push(`${at}/tokenSha256: must be 64 lowercase hex digits (the sha256 of the token, never the token)`);
  }
  if (rule.access !== 'read' && rule.access !== 'write') issues.push(`${at}/access: must be read or write`);
  const feeds = rule.feeds;
  if (!Array.isArray(feeds) || feeds.length === 0 || !feeds.every((f) => typeof f === 'string' && f.length > 0 && f.length <= 253)) {
    issues.push(`${at}/feeds: must be a non-empty list of feed-name globs`);
  }
  return {
    name: String(rule.name),
    tokenSha256: String(rule.tokenSha256),
    access: rule.access === 'write' ? 'write' : 'read',
    feeds: Array.isArray(feeds) ? feeds.map(String) : [],
  };
}
