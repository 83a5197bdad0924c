/**
 * Loading a topology: from a directory (recursive, sorted, symlinks kept inside the root) or
 * from in-memory files (a Git tree). Content problems become issues; only an unreadable root
 * directory throws (FerryError IO_ERROR).
 */
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { ErrorCode, FerryError } from '../errors/index.js';
import type { Feed, Kind, Replication, Site, Topology, Upstream, ValidationIssue } from './model.js';
import { IssueCode } from './codes.js';
import { makeIssue, sortIssues } from './issues.js';
import { resolveLoadOptions, type LoadOptions, type ResolvedLoadOptions } from './options.js';
import { decodeText, lazyLocator, parseYamlFile, type ReparseCache } from './yaml-source.js';
import { emptyKnownNames, readResource, type Entry, type KnownNames } from './resources.js';
import { semanticIssues } from './checks/index.js';

export interface LoadResult {
  topology: Topology;
  issues: ValidationIssue[];
  /** True when no issue has severity `error`. */
  valid: boolean;
}

export interface TopologyFile {
  /** Path relative to the topology root, forward slashes. */
  path: string;
  content: Buffer | string;
}

const YAML_FILE = /\.ya?ml$/i;

/**
 * Validates in-memory files (e.g. read from a Git tree without a checkout); paths are relative to
 * the topology root with forward slashes. Never throws for content problems.
 */
export function loadTopologyFiles(files: TopologyFile[], options?: LoadOptions): LoadResult {
  const opts = resolveLoadOptions(options);
  const issues: ValidationIssue[] = [];
  // Same selection as loadTopologyDir: YAML files, nothing under a dot-entry (.github/, .git/).
  const sorted = files
    .filter((f) => YAML_FILE.test(f.path) && !f.path.split('/').some((seg) => seg.startsWith('.')))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  let total = 0;
  const readable: Array<{ path: string; content: Buffer | string }> = [];
  for (const f of sorted) {
    const size = typeof f.content === 'string' ? Buffer.byteLength(f.content) : f.content.length;
    if (size > opts.maxFileBytes) {
      issues.push(tooLarge(f.path, size, opts));
      continue;
    }
    total += size;
    if (total > opts.maxTotalBytes || readable.length >= opts.maxFiles) {
      issues.push(makeIssue('error', IssueCode.topologyTooLarge, `topology exceeds ${opts.maxTotalBytes} bytes or ${opts.maxFiles} files; files from here on were not read`, { file: f.path, line: 1, column: 1 }, ''));
      break;
    }
    readable.push(f);
  }
  return validateFiles(readable, issues, opts);
}

/** Reads every *.yaml / *.yml under `dir` (recursively, sorted; dot-entries skipped) and validates. */
export async function loadTopologyDir(dir: string, options?: LoadOptions): Promise<LoadResult> {
  const opts = resolveLoadOptions(options);
  let root: string;
  try {
    root = await realpath(dir);
    if (!(await stat(root)).isDirectory()) throw new Error('not a directory');
    await readdir(root);
  } catch (err) {
    throw new FerryError(ErrorCode.io, `cannot read topology directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { data: { dir }, cause: err });
  }
  const issues: ValidationIssue[] = [];
  const paths = await listYamlFiles(root, issues, opts.maxFiles + 1);
  const files: TopologyFile[] = [];
  let total = 0;
  for (const { rel, abs } of paths) {
    if (files.length >= opts.maxFiles || total > opts.maxTotalBytes) {
      issues.push(makeIssue('error', IssueCode.topologyTooLarge, `topology exceeds ${opts.maxTotalBytes} bytes or ${opts.maxFiles} files; files from here on were not read`, { file: rel, line: 1, column: 1 }, ''));
      break;
    }
    const read = await readBounded(abs, opts.maxFileBytes);
    if ('error' in read) {
      issues.push(makeIssue('error', IssueCode.fileUnreadable, `cannot read file: ${read.error}`, { file: rel, line: 1, column: 1 }, ''));
    } else if (read.tooLarge !== undefined) {
      issues.push(tooLarge(rel, read.tooLarge, opts));
    } else {
      total += read.content.length;
      files.push({ path: rel, content: read.content });
    }
  }
  return validateFiles(files, issues, opts);
}

function tooLarge(file: string, size: number, opts: ResolvedLoadOptions): ValidationIssue {
  return makeIssue('error', IssueCode.fileTooLarge, `file is ${size} bytes, over the limit of ${opts.maxFileBytes} bytes: split it into several files`, { file, line: 1, column: 1 }, '');
}

function validateFiles(files: TopologyFile[], issues: ValidationIssue[], opts: ResolvedLoadOptions): LoadResult {
  const known = emptyKnownNames();
  const entries: Entry[] = [];
  const reparsed: ReparseCache = new Map();
  for (const f of files) {
    const { text, issue } = decodeText(f.path, f.content);
    if (issue || text === undefined) {
      if (issue) issues.push(issue);
      continue;
    }
    const parsed = parseYamlFile(f.path, text, opts);
    const fileIssues = [...parsed.issues];
    for (const doc of parsed.documents) {
      const entry = readResource(doc, f.path, known, fileIssues);
      // Drop the AST: semantic issues (rare) re-parse the file to find their position.
      if (entry) entries.push({ ...entry, locate: lazyLocator(f.path, text, doc.index, reparsed) });
    }
    issues.push(...capIssues(f.path, fileIssues, opts.maxIssuesPerFile));
  }
  // The result holds only schema-valid resources; the checks also see salvaged ones.
  const topology = buildTopology(entries.filter((e) => !e.partial));
  const checked = entries.some((e) => e.partial) ? buildTopology(entries) : topology;
  issues.push(...semanticIssues(checked, entries, known, incompleteKinds(known, entries)));
  const sorted = sortIssues(issues);
  return { topology, issues: sorted, valid: !sorted.some((i) => i.severity === 'error') };
}

/** At most `max` issues of one file, then one TOO_MANY_ISSUES saying how many were left out. */
function capIssues(file: string, fileIssues: ValidationIssue[], max: number): ValidationIssue[] {
  if (fileIssues.length <= max) return fileIssues;
  const kept = fileIssues.slice(0, max);
  const last = kept[kept.length - 1]!;
  kept.push(makeIssue('error', IssueCode.tooManyIssues, `${fileIssues.length - max} more issues in this file were left out (limit ${max} per file)`, { file, line: last.line, column: last.column }, ''));
  return kept;
}

function buildTopology(entries: Entry[]): Topology {
  return Object.freeze({
    sites: Object.freeze(entries.filter((e) => e.res.kind === 'Site').map((e) => e.res as Site)),
    feeds: Object.freeze(entries.filter((e) => e.res.kind === 'Feed').map((e) => e.res as Feed)),
    upstreams: Object.freeze(entries.filter((e) => e.res.kind === 'Upstream').map((e) => e.res as Upstream)),
    replications: Object.freeze(entries.filter((e) => e.res.kind === 'Replication').map((e) => e.res as Replication)),
  }) as Topology;
}

/**
 * Kinds of which some resource could not be used at all, or is a site that lost labels: checks
 * that conclude "nothing matches" or "never used" are unreliable for them.
 */
function incompleteKinds(known: KnownNames, entries: Entry[]): Set<Kind> {
  const out = new Set<Kind>();
  const used = new Map<Kind, number>();
  for (const e of entries) {
    used.set(e.res.kind, (used.get(e.res.kind) ?? 0) + 1);
    if (e.pruned?.some((p) => p === '/metadata/labels' || p.startsWith('/metadata/labels/'))) out.add(e.res.kind);
  }
  for (const kind of Object.keys(known) as Kind[]) if (known[kind].size > (used.get(kind) ?? 0)) out.add(kind);
  return out;
}

/**
 * Regular YAML files under root, sorted by relative path; symlinks leaving root are reported.
 * Stops walking once `limit` files are found (the caller reports TOPOLOGY_TOO_LARGE).
 */
async function listYamlFiles(root: string, issues: ValidationIssue[], limit: number): Promise<Array<{ rel: string; abs: string }>> {
  const out: Array<{ rel: string; abs: string }> = [];
  const visited = new Set<string>([root]);
  const walk = async (dirAbs: string): Promise<void> => {
    let names: string[];
    try {
      names = (await readdir(dirAbs)).sort();
    } catch (err) {
      const rel = toRel(root, dirAbs) || '.';
      issues.push(makeIssue('error', IssueCode.fileUnreadable, `cannot read directory: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { file: rel, line: 1, column: 1 }, ''));
      return;
    }
    for (const name of names) {
      if (out.length >= limit) return;
      if (name.startsWith('.')) continue; // .git, .github, editor files: never topology
      const abs = join(dirAbs, name);
      let real: string;
      try {
        real = await realpath(abs);
      } catch {
        if (YAML_FILE.test(name)) issues.push(makeIssue('error', IssueCode.fileUnreadable, 'cannot resolve file (dangling symlink?)', { file: toRel(root, abs), line: 1, column: 1 }, ''));
        continue;
      }
      if (real !== root && !real.startsWith(root + sep)) {
        issues.push(makeIssue('error', IssueCode.symlinkEscape, 'symlink points outside the topology directory: refused', { file: toRel(root, abs), line: 1, column: 1 }, ''));
        continue;
      }
      const st = await stat(real).catch(() => undefined);
      if (st?.isDirectory()) {
        if (visited.has(real)) continue; // symlink loop or second path to the same directory
        visited.add(real);
        await walk(abs);
      } else if (st?.isFile() && YAML_FILE.test(name)) {
        out.push({ rel: toRel(root, abs), abs: real });
      }
    }
  };
  await walk(root);
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

function toRel(root: string, abs: string): string {
  return relative(root, abs).split(sep).join('/');
}

/** Reads at most `cap + 1` bytes; a file over the cap is reported without being read whole. */
async function readBounded(path: string, cap: number): Promise<{ content: Buffer; tooLarge?: undefined } | { tooLarge: number } | { error: string }> {
  let handle;
  try {
    handle = await open(path, 'r');
    const st = await handle.stat();
    if (st.size > cap) return { tooLarge: st.size };
    const buf = Buffer.alloc(Math.min(st.size, cap) + 1);
    let len = 0;
    while (len < buf.length) {
      const { bytesRead } = await handle.read(buf, len, buf.length - len, len);
      if (bytesRead === 0) break;
      len += bytesRead;
    }
    if (len > cap) return { tooLarge: len };
    return { content: buf.subarray(0, len) };
  } catch (err) {
    return { error: (err as NodeJS.ErrnoException).code ?? 'error' };
  } finally {
    await handle?.close();
  }
}
