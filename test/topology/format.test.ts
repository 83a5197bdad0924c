/** Output formats of `ferry validate` (escaping rules of GitHub workflow commands). */
import { describe, expect, it } from 'vitest';
import { formatIssueGithub, formatIssueText, summarize } from '../../src/cli/commands/validate.js';
import type { ValidationIssue } from '../../src/topology/index.js';

const issue: ValidationIssue = { severity: 'warning', code: 'X_Y', message: '100% sure,\nsecond line', file: 'dir:a,b/x.yaml', line: 3, column: 7, path: '/spec' };

describe('validate output formats', () => {
  it('github: properties escape % \\r \\n : , and data escapes % \\r \\n', () => {
    expect(formatIssueGithub(issue)).toBe('::warning file=dir%3Aa%2Cb/x.yaml,line=3,col=7,title=X_Y::100%25 sure,%0Asecond line');
  });

  it('text: one line per issue', () => {
    expect(formatIssueText(issue)).toBe('dir:a,b/x.yaml:3:7: warning X_Y 100% sure, second line');
  });

  it('summary counts errors and warnings', () => {
    expect(summarize([issue, { ...issue, severity: 'error' }, { ...issue, severity: 'error' }])).toBe('invalid: 2 errors, 1 warning');
    expect(summarize([])).toBe('valid: 0 errors, 0 warnings');
  });
});
