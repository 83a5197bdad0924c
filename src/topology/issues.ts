/** Building ValidationIssues; the one place that fixes their shape. */
import type { Severity, SourcePosition, ValidationIssue } from './model.js';
import type { IssueCode } from './codes.js';

export function makeIssue(
  severity: Severity,
  code: IssueCode,
  message: string,
  at: SourcePosition,
  path: string,
): ValidationIssue {
  return { severity, code, message, file: at.file, line: at.line, column: at.column, path };
}

/** JSON pointer (RFC 6901) of path segments. */
export function toPointer(segments: ReadonlyArray<string | number>): string {
  if (segments.length === 0) return '';
  return '/' + segments.map((s) => String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

/** Segments of a JSON pointer; numeric segments stay strings (the locator handles both). */
export function fromPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Issues sorted for output: by file, then line, then column, stable otherwise. */
export function sortIssues(issues: ValidationIssue[]): ValidationIssue[] {
  return issues
    .map((issue, i) => ({ issue, i }))
    .sort(
      (a, b) =>
        (a.issue.file < b.issue.file ? -1 : a.issue.file > b.issue.file ? 1 : 0) ||
        a.issue.line - b.issue.line ||
        a.issue.column - b.issue.column ||
        a.i - b.i,
    )
    .map((x) => x.issue);
}

/** `file:line` for messages that point at a second place. */
export function where(at: SourcePosition): string {
  return `${at.file}:${at.line}`;
}
