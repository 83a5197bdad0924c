/** The site config file (DESIGN.md section 2, last block) against schemas/site-config.schema.json. */
import { describe, expect, it } from 'vitest';
import { validateSiteConfig } from '../../src/topology/index.js';

const GOOD = `site: spoke-a
topology:
  url: https://git.example.net/ops/edge-topology.git
  ref: main
  path: topology/
  pollInterval: 60s
  credentials: {secretRef: {env: FERRY_GIT_TOKEN}}
  verifyCommits: {keys: [/etc/ferry/trusted.asc]}
dataDir: /var/lib/ferry
listen: 0.0.0.0:8443
tls: {cert: /etc/ferry/tls.crt, key: /etc/ferry/tls.key}
webhook: {secretRef: {env: FERRY_WEBHOOK_SECRET}}
store: {type: fs}
`;

describe('validateSiteConfig', () => {
  it('accepts the DESIGN.md example and returns it frozen', () => {
    const result = validateSiteConfig('site.yaml', GOOD);
    expect(result.issues).toEqual([]);
    expect(result.valid).toBe(true);
    expect(result.config?.topology.pollInterval).toBe('60s');
    expect(Object.isFrozen(result.config?.topology)).toBe(true);
  });

  it('accepts the minimum: site, topology.url, dataDir', () => {
    expect(validateSiteConfig('s.yaml', 'site: a\ntopology: {url: /srv/topology}\ndataDir: /var/lib/ferry\n').valid).toBe(true);
  });

  it.each([
    ['missing dataDir', 'site: a\ntopology: {url: /srv/t}\n', 'SCHEMA_REQUIRED', 1, 1],
    ['site not a DNS label', 'site: Spoke_A\ntopology: {url: /srv/t}\ndataDir: /d\n', 'INVALID_NAME', 1, 7],
    ['unknown field', 'site: a\ntopology: {url: /srv/t, branch: main}\ndataDir: /d\n', 'SCHEMA_UNKNOWN_FIELD', 2, 25],
    ['poll interval in words', 'site: a\ntopology:\n  url: /srv/t\n  pollInterval: one minute\ndataDir: /d\n', 'INVALID_DURATION', 4, 17],
    ['poll interval too short', 'site: a\ntopology:\n  url: /srv/t\n  pollInterval: 10ms\ndataDir: /d\n', 'INVALID_DURATION', 4, 17],
    ['plaintext git token', 'site: a\ntopology:\n  url: /srv/t\n  credentials: ghp_0123456789\ndataDir: /d\n', 'PLAINTEXT_SECRET', 4, 16],
    ['plaintext webhook secret', 'site: a\ntopology: {url: /srv/t}\ndataDir: /d\nwebhook: s3cret\n', 'PLAINTEXT_SECRET', 4, 10],
    ['registry store without url', 'site: a\ntopology: {url: /srv/t}\ndataDir: /d\nstore:\n  type: registry\n', 'SCHEMA_REQUIRED', 4, 1],
    ['port out of range', 'site: a\ntopology: {url: /srv/t}\ndataDir: /d\nlisten: 127.0.0.1:70000\n', 'SCHEMA_INVALID', 4, 9],
    ['listen without port', 'site: a\ntopology: {url: /srv/t}\ndataDir: /d\nlisten: localhost\n', 'SCHEMA_INVALID', 4, 9],
    ['two documents', 'site: a\n---\nsite: b\n', 'NOT_A_RESOURCE', 3, 1],
    ['tab indentation', 'site: a\ntopology:\n\turl: /srv/t\n', 'YAML_TAB', 3, 1],
  ])('%s → %s at %d:%d', (_name, text, code, line, column) => {
    const result = validateSiteConfig('site.yaml', text);
    expect(result.valid).toBe(false);
    expect(result.config).toBeUndefined();
    expect(result.issues.map((i) => [i.code, i.line, i.column])).toContainEqual([code, line, column]);
    expect(JSON.stringify(result.issues)).not.toMatch(/ghp_0123456789|s3cret/);
  });

  it('with knownSites, site must be one of them', () => {
    expect(validateSiteConfig('s.yaml', GOOD, { knownSites: new Set(['spoke-a']) }).valid).toBe(true);
    const result = validateSiteConfig('s.yaml', GOOD, { knownSites: new Set(['spoke-b']) });
    expect(result.issues.map((i) => [i.code, i.line, i.column])).toEqual([['DANGLING_SITE_REF', 1, 7]]);
  });

  it('refuses a file over the size cap', () => {
    expect(validateSiteConfig('s.yaml', GOOD, { maxFileBytes: 10 }).issues.map((i) => i.code)).toEqual(['FILE_TOO_LARGE']);
  });
});
