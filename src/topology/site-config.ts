/**
 * The per-site controller config file (DESIGN.md section 2, last block): parsed with the same
 * hostile-input guards as topology files and validated against schemas/site-config.schema.json.
 */
import type { SiteConfig, ValidationIssue } from './model.js';
import { IssueCode } from './codes.js';
import { makeIssue, sortIssues } from './issues.js';
import { resolveLoadOptions, type LoadOptions } from './options.js';
import { schemaIssues } from './schemas.js';
import { scanSecrets } from './checks/secrets.js';
import { decodeText, parseYamlFile } from './yaml-source.js';
import { checkSiteConfigValues } from './checks/site-config.js';

export interface SiteConfigResult {
  /** The frozen config when valid. */
  config?: SiteConfig;
  issues: ValidationIssue[];
  valid: boolean;
}

/**
 * Validates the text of a site config file; `file` is only used in issues. With `knownSites`
 * (the sites of a loaded topology), `site` must be one of them. Never throws.
 */
export function validateSiteConfig(file: string, content: Buffer | string, options?: LoadOptions & { knownSites?: ReadonlySet<string> }): SiteConfigResult {
  const opts = resolveLoadOptions(options);
  const size = typeof content === 'string' ? Buffer.byteLength(content) : content.length;
  const issues: ValidationIssue[] = [];
  if (size > opts.maxFileBytes) {
    issues.push(makeIssue('error', IssueCode.fileTooLarge, `file is ${size} bytes, over the limit of ${opts.maxFileBytes}`, { file, line: 1, column: 1 }, ''));
    return { issues, valid: false };
  }
  const { text, issue } = decodeText(file, content);
  if (issue || text === undefined) return { issues: issue ? [issue] : [], valid: false };
  const parsed = parseYamlFile(file, text, opts);
  issues.push(...parsed.issues);
  if (parsed.documents.length !== 1) {
    if (parsed.issues.length === 0) {
      const at = parsed.documents[1]?.start ?? { file, line: 1, column: 1 };
      issues.push(makeIssue('error', IssueCode.notAResource, 'a site config file holds exactly one YAML document', at, ''));
    }
    return { issues: sortIssues(issues), valid: false };
  }
  const doc = parsed.documents[0]!;
  const secrets = scanSecrets(doc.value, file, doc.locate);
  issues.push(...secrets.issues);
  issues.push(...schemaIssues('SiteConfig', doc.value, file, doc.locate, secrets.suppress));
  if (issues.some((i) => i.severity === 'error')) return { issues: sortIssues(issues), valid: false };
  const config = doc.value as SiteConfig;
  issues.push(...checkSiteConfigValues(config, file, doc.locate));
  if (options?.knownSites && !options.knownSites.has(config.site)) {
    issues.push(makeIssue('error', IssueCode.danglingSiteRef, `site "${config.site}" is not a Site of the topology`, { ...doc.locate(['site']), file }, '/site'));
  }
  const valid = !issues.some((i) => i.severity === 'error');
  return { config: valid ? deepFreeze(config) : undefined, issues: sortIssues(issues), valid };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
