/** Value checks of a site config the schema cannot express (duration magnitude, port range). */
import type { SiteConfig, ValidationIssue } from '../model.js';
import { IssueCode } from '../codes.js';
import { makeIssue } from '../issues.js';
import { parseDuration } from '../../util/units.js';
import type { Locator } from '../yaml-source.js';

export function checkSiteConfigValues(config: SiteConfig, file: string, locate: Locator): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const poll = config.topology.pollInterval;
  if (poll !== undefined && !((parseDuration(poll) ?? 0) >= 1000)) {
    issues.push(makeIssue('error', IssueCode.invalidDuration, `pollInterval "${poll}" must be at least 1s`, { ...locate(['topology', 'pollInterval']), file }, '/topology/pollInterval'));
  }
  if (config.store?.type === 'registry' && config.store.url === undefined) {
    issues.push(makeIssue('error', IssueCode.schemaRequired, 'store of type registry needs a "url"', { ...locate(['store'], { key: true }), file }, '/store/url'));
  }
  if (config.listen !== undefined) {
    const port = Number(config.listen.slice(config.listen.lastIndexOf(':') + 1));
    if (!(port >= 0 && port <= 65535)) {
      issues.push(makeIssue('error', IssueCode.schemaInvalid, `listen port ${port} is out of range 0-65535`, { ...locate(['listen']), file }, '/listen'));
    }
  }
  return issues;
}
