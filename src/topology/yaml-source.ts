/**
 * Parses one topology file into documents that remember where every node came from.
 *
 * Contract: never throws for content. Hostile input (invalid UTF-8, binary, syntax errors,
 * duplicate keys, tab indentation, unknown tags, alias bombs) becomes ValidationIssues. Alias
 * expansion is bounded by `maxAliasCount` (the `yaml` package counts expanded nodes, so a
 * billion-laughs document fails in milliseconds instead of being walked exponentially).
 */
import { Alias, Composer, isMap, isPair, isScalar, isSeq, LineCounter, Parser, parseAllDocuments, type Document, type Node } from 'yaml';
import type { SourcePosition, ValidationIssue } from './model.js';
import { IssueCode } from './codes.js';
import { makeIssue } from './issues.js';

/** Where a JSON pointer (as segments) points in a document; `key: true` points at the mapping key. */
export type Locator = (segments: ReadonlyArray<string | number>, options?: { key?: boolean }) => SourcePosition;

export interface ParsedDocument {
  /** Index of the document in its file (counting empty and broken ones). */
  index: number;
  /** Plain JS value of the document (aliases expanded, bounded). */
  value: unknown;
  /** Position of the document's first node. */
  start: SourcePosition;
  locate: Locator;
}

export interface ParsedFile {
  documents: ParsedDocument[];
  issues: ValidationIssue[];
}

export interface ParseOptions {
  maxAliasCount: number;
  /** Deepest nesting of flow collections (`[`/`{`) accepted (default 64). */
  maxFlowDepth?: number;
  /** Most YAML documents read from one file, empty ones included (default 10,000). */
  maxDocuments?: number;
  /** Issues reported per file at most (a garbage file must not print a million lines). */
  maxIssuesPerFile: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes bytes as strict UTF-8; returns an issue for invalid or binary content. */
export function decodeText(file: string, content: Buffer | string): { text?: string; issue?: ValidationIssue } {
  let text: string;
  if (typeof content === 'string') {
    text = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
  } else {
    try {
      text = utf8.decode(content);
    } catch {
      const at = positionOfByte(content, firstInvalidUtf8(content));
      return { issue: makeIssue('error', IssueCode.fileNotUtf8, 'file is not valid UTF-8 text', { file, ...at }, '') };
    }
  }
  const nul = text.indexOf('\u0000');
  if (nul >= 0) {
    const at = positionOfOffset(text, nul);
    return { issue: makeIssue('error', IssueCode.fileBinary, 'file contains NUL bytes: binary files are not topology YAML', { file, ...at }, '') };
  }
  return { text };
}

/** Parses a file's text into positioned documents; empty documents are skipped. */
export function parseYamlFile(file: string, text: string, options: ParseOptions): ParsedFile {
  const lineCounter = new LineCounter();
  const issues: ValidationIssue[] = [];
  const documents: ParsedDocument[] = [];
  const pos = (offset: number): SourcePosition => {
    const p = lineCounter.linePos(offset);
    return { file, line: p.line, column: p.col };
  };
  // The parser recurses per nesting level: a megabyte of "[[[[" costs seconds of CPU before it
  // gives up. A linear pre-scan refuses such files up front.
  const deep = flowDepthOffset(text, options.maxFlowDepth ?? 64);
  if (deep >= 0) {
    const at = positionOfOffset(text, deep);
    issues.push(makeIssue('error', IssueCode.yamlTooDeep, `flow collections ("[" / "{") nested deeper than ${options.maxFlowDepth ?? 64} levels: refused`, { file, ...at }, ''));
    return { documents, issues };
  }
  // Documents are composed one at a time (a generator), so a file of a million empty documents
  // is cut off at maxDocuments instead of being held in memory whole.
  const parser = new Parser(lineCounter.addNewLine);
  const composer = new Composer({ version: '1.2', schema: 'core', uniqueKeys: true });
  const maxDocuments = options.maxDocuments ?? 10_000;
  let index = -1;
  const docs = composer.compose(parser.parse(text)) as Generator<Document.Parsed>;
  for (;;) {
    let next: IteratorResult<Document.Parsed>;
    try {
      next = docs.next();
    } catch (err) {
      issues.push(makeIssue('error', IssueCode.yamlSyntax, `YAML could not be parsed: ${(err as Error).name}`, { file, line: 1, column: 1 }, ''));
      break;
    }
    if (next.done) break;
    const doc = next.value;
    index++;
    if (index >= maxDocuments) {
      issues.push(makeIssue('error', IssueCode.yamlTooManyDocuments, `more than ${maxDocuments} YAML documents in one file: the rest was not read`, pos(doc.range[0]), ''));
      break;
    }
    if (issues.length >= options.maxIssuesPerFile) break;
    const parsed = toDocument(doc, index, pos, options, issues);
    if (parsed) documents.push(parsed);
  }
  return { documents, issues: issues.slice(0, options.maxIssuesPerFile) };
}

/** One composed document as a positioned plain value; undefined when empty or unusable. */
function toDocument(doc: Document.Parsed, index: number, pos: (offset: number) => SourcePosition, options: ParseOptions, issues: ValidationIssue[]): ParsedDocument | undefined {
  const ok = collectYamlProblems(doc, pos, issues);
  if (!ok || doc.contents === null) return undefined; // broken or empty document
  if (isScalar(doc.contents) && doc.contents.value === null) return undefined;
  const start = pos(doc.contents.range?.[0] ?? 0);
  try {
    return { index, value: doc.toJS({ maxAliasCount: options.maxAliasCount }), start, locate: makeLocator(doc, pos) };
  } catch (err) {
    const bomb = err instanceof ReferenceError && /alias count/i.test(err.message);
    const message = bomb
      ? `too many alias expansions (limit ${options.maxAliasCount}): refusing a possible alias bomb; write the values out instead of using anchors`
      : `YAML could not be read: ${firstLine((err as Error).message)}`;
    issues.push(makeIssue('error', bomb ? IssueCode.yamlAliasLimit : IssueCode.yamlSyntax, message, start, ''));
    return undefined;
  }
}

/** Re-parsed files of one load, shared by the lazy locators of their documents. */
export type ReparseCache = Map<string, Document.Parsed[] | LineCounter>;

/**
 * A locator that re-parses the file on first use. The loader keeps these instead of the ASTs
 * (which cost several times the text in memory and GC time); a valid topology never re-parses.
 */
export function lazyLocator(file: string, text: string, index: number, cache: ReparseCache): Locator {
  return (segments, options) => {
    let docs = cache.get(file) as Document.Parsed[] | undefined;
    let lineCounter = cache.get(`${file}\u0000lc`) as LineCounter | undefined;
    if (!docs || !lineCounter) {
      lineCounter = new LineCounter();
      docs = parseAllDocuments(text, { lineCounter, version: '1.2', schema: 'core', uniqueKeys: true }) as Document.Parsed[];
      cache.set(file, docs);
      cache.set(`${file}\u0000lc`, lineCounter);
    }
    const lc = lineCounter;
    const doc = docs[index];
    if (!doc) return { file, line: 1, column: 1 };
    return makeLocator(doc, (offset) => {
      const p = lc.linePos(offset);
      return { file, line: p.line, column: p.col };
    })(segments, options);
  };
}

/** Adds the document's errors and warnings as issues; false when the document is unusable. */
function collectYamlProblems(doc: Document.Parsed, pos: (offset: number) => SourcePosition, issues: ValidationIssue[]): boolean {
  for (const e of doc.errors) {
    const tooDeep = /call stack/i.test(e.message);
    const code = tooDeep
      ? IssueCode.yamlTooDeep
      : e.code === 'DUPLICATE_KEY'
        ? IssueCode.yamlDuplicateKey
        : e.code === 'TAB_AS_INDENT'
          ? IssueCode.yamlTab
          : IssueCode.yamlSyntax;
    const message = tooDeep
      ? 'YAML nested too deeply to read: refused'
      : e.code === 'TAB_AS_INDENT'
        ? 'tab characters are not allowed for indentation in YAML; use spaces'
        : firstLine(e.message);
    issues.push(makeIssue('error', code, message, pos(e.pos[0]), ''));
  }
  let ok = doc.errors.length === 0;
  for (const w of doc.warnings) {
    if (w.code === 'TAG_RESOLVE_FAILED') {
      issues.push(makeIssue('error', IssueCode.yamlUnknownTag, `${firstLine(w.message)}: custom YAML tags are not allowed`, pos(w.pos[0]), ''));
      ok = false;
    } else {
      issues.push(makeIssue('warning', IssueCode.yamlWarning, firstLine(w.message), pos(w.pos[0]), ''));
    }
  }
  return ok;
}

function firstLine(message: string): string {
  const line = message.split('\n')[0] ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * Walks the AST along the segments, resolving aliases; stops at the deepest node that exists,
 * so a missing property points at its parent. With `key`, or when the node is a mapping or a
 * list reached through a key, points at that key.
 */
function makeLocator(doc: Document.Parsed, pos: (offset: number) => SourcePosition): Locator {
  return (segments, options = {}) => {
    let node: Node | null | undefined = doc.contents as Node | null;
    let keyNode: Node | undefined;
    for (const seg of segments) {
      if (node instanceof Alias) node = node.resolve(doc) as Node | undefined;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) break;
        keyNode = pair.key as Node;
        node = pair.value as Node | null;
        if (node === null || node === undefined) {
          node = keyNode;
        }
      } else if (isSeq(node)) {
        const item = node.items[Number(seg)] as Node | undefined;
        if (item === undefined) break;
        keyNode = undefined;
        node = item;
      } else {
        break;
      }
    }
    // A mapping or list value is shown at its key (`siteSelector:`), a scalar at itself.
    const collection = node instanceof Alias || isMap(node) || isSeq(node);
    const target = keyNode && (options.key || collection) ? keyNode : node;
    return pos(target?.range?.[0] ?? doc.range[0]);
  };
}

/**
 * Offset of the first `[`/`{` that opens a level deeper than `max`, or -1. Skips quoted
 * strings and comments; brackets inside plain scalars may over-count, which only matters for
 * text with dozens of unbalanced brackets (never a real topology).
 */
export function flowDepthOffset(text: string, max: number): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return i;
    } else if (c === 0x5d || c === 0x7d) {
      if (depth > 0) depth--;
    } else if (c === 0x22) {
      i++;
      while (i < text.length && text.charCodeAt(i) !== 0x22) i += text.charCodeAt(i) === 0x5c ? 2 : 1;
    } else if (c === 0x27) {
      i++;
      while (i < text.length && !(text.charCodeAt(i) === 0x27 && text.charCodeAt(i + 1) !== 0x27)) i += text.charCodeAt(i) === 0x27 ? 2 : 1;
    } else if (c === 0x23 && (i === 0 || text.charCodeAt(i - 1) <= 0x20)) {
      while (i < text.length && text.charCodeAt(i) !== 0x0a) i++;
    }
  }
  return -1;
}

function positionOfOffset(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function positionOfByte(buf: Buffer, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (buf[i] === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Byte offset of the first invalid UTF-8 sequence (approximate: start of the bad sequence). */
function firstInvalidUtf8(buf: Buffer): number {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i]!;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) {
      const c = buf[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
    }
    i += need + 1;
  }
  return 0;
}
