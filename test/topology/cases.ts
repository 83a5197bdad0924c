/**
 * The table of broken topologies: at least one per issue code. Each case is written to a temp
 * dir next to BASE (unless `noBase`); the expected issue is on the line marked `#<`, at the
 * column of `at`.
 */
import type { Files } from './helpers.js';
import { BASE, HASH_A } from './helpers.js';

export interface BrokenCase {
  name: string;
  code: string;
  severity?: 'error' | 'warning';
  files: Files;
  at: string;
  noBase?: boolean;
}

const rep = (body: string, name = 'r1'): string => `apiVersion: ferry/v1
kind: Replication
metadata: {name: ${name}}
spec:
${body}`;

const pullImages = `  mode: pull
  source: {site: hub, feed: images}
  target: {siteSelector: {matchLabels: {role: store}}, feed: store-images}
`;

const upstream = (extra = ''): string => `apiVersion: ferry/v1
kind: Upstream
metadata: {name: corp}
spec:
  type: oci
  url: https://registry.corp.example
${extra}`;

export const brokenCases: BrokenCase[] = [
  // YAML
  { name: 'nested compact mapping', code: 'YAML_SYNTAX', at: 'name', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Feed\nmetadata: name: f #<\nspec: {type: oci, sites: [hub]}\n' } },
  { name: 'number where text is expected', code: 'SCHEMA_TYPE', at: '1234', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Site\nmetadata: {name: s}\nspec:\n  incoming:\n    - name: x\n      tokenSha256: 1234 #<\n      access: read\n      feeds: ["*"]\n' } },
  {
    name: 'duplicate key',
    code: 'YAML_DUPLICATE_KEY',
    at: 'name',
    files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Feed\nmetadata:\n  name: f\n  name: g #<\nspec: {type: oci, sites: [hub]}\n' },
  },
  { name: 'tab indentation', code: 'YAML_TAB', at: '\t', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Feed\nmetadata:\n\tname: f #<\nspec: {type: oci}\n' } },
  {
    name: 'small alias bomb',
    code: 'YAML_ALIAS_LIMIT',
    at: 'apiVersion',
    files: {
      'x.yaml':
        'apiVersion: ferry/v1 #<\nkind: Feed\na: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n',
    },
  },
  { name: 'custom tag', code: 'YAML_UNKNOWN_TAG', at: '!', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Feed\nmetadata: {name: f}\nspec: !include other.yaml #<\n' } },
  // Documents
  { name: 'a list, not a resource', code: 'NOT_A_RESOURCE', at: '-', files: { 'x.yaml': '- a #<\n- b\n' } },
  { name: 'a mapping without apiVersion/kind', code: 'NOT_A_RESOURCE', at: 'name', files: { 'x.yaml': 'name: foo #<\nimage: nginx\n' } },
  { name: 'kubernetes document', code: 'UNSUPPORTED_API_VERSION', at: 'apps/v1', files: { 'x.yaml': 'apiVersion: apps/v1 #<\nkind: Deployment\nmetadata: {name: x}\n' } },
  { name: 'unknown kind', code: 'UNKNOWN_KIND', at: 'Mirror', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Mirror #<\nmetadata: {name: x}\nspec: {}\n' } },
  { name: 'missing apiVersion', code: 'UNSUPPORTED_API_VERSION', at: 'kind', files: { 'x.yaml': 'kind: Feed #<\nmetadata: {name: x}\nspec: {type: oci}\n' } },
  // Schema
  { name: 'feed without type', code: 'SCHEMA_REQUIRED', at: 'spec', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Feed\nmetadata: {name: f}\nspec: #<\n  sites: [hub]\n' } },
  { name: 'missing spec', code: 'SCHEMA_REQUIRED', at: 'apiVersion', files: { 'x.yaml': 'apiVersion: ferry/v1 #<\nkind: Feed\nmetadata: {name: f}\n' } },
  { name: 'misspelt field', code: 'SCHEMA_UNKNOWN_FIELD', at: 'schedul', files: { 'x.yaml': rep(pullImages + '  schedul: "* * * * *" #<\n') } },
  { name: 'unknown top-level field', code: 'SCHEMA_UNKNOWN_FIELD', at: 'status', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Feed\nmetadata: {name: f}\nspec: {type: oci, sites: [hub]}\nstatus: {} #<\n' } },
  { name: 'string for a boolean', code: 'SCHEMA_TYPE', at: '"yes"', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Site\nmetadata: {name: s}\nspec:\n  anonymousRead: "yes" #<\n' } },
  { name: 'list where a mapping is expected', code: 'SCHEMA_TYPE', at: 'source', files: { 'x.yaml': rep(pullImages.replace('  source: {site: hub, feed: images}\n', '  source: [hub, images] #<\n')) } },
  { name: 'unknown mode', code: 'SCHEMA_ENUM', at: 'pul', files: { 'x.yaml': rep(pullImages.replace('mode: pull', 'mode: pul #<')) } },
  { name: 'unknown access', code: 'SCHEMA_ENUM', at: 'rw', files: { 'x.yaml': `apiVersion: ferry/v1\nkind: Site\nmetadata: {name: s}\nspec:\n  incoming:\n    - name: x\n      tokenSha256: ${'d'.repeat(64)}\n      access: rw #<\n      feeds: ["*"]\n` } },
  { name: 'keepLatest zero', code: 'SCHEMA_INVALID', at: '0', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Feed\nmetadata: {name: f}\nspec:\n  type: oci\n  sites: [hub]\n  retention: {keepLatest: 0} #<\n' } },
  { name: 'empty incoming feeds', code: 'SCHEMA_INVALID', at: 'feeds', files: { 'x.yaml': `apiVersion: ferry/v1\nkind: Site\nmetadata: {name: s}\nspec:\n  incoming:\n    - name: x\n      tokenSha256: ${'d'.repeat(64)}\n      access: read\n      feeds: [] #<\n` } },
  { name: 'name not a DNS label', code: 'INVALID_NAME', at: 'Hub_US', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Site\nmetadata:\n  name: Hub_US #<\nspec: {}\n' } },
  { name: 'reference not a DNS label', code: 'INVALID_NAME', at: 'Store', files: { 'x.yaml': rep('  mode: push\n  source: {site: hub, feed: images}\n  target:\n    sites: [Store] #<\n') } },
  { name: 'short token hash', code: 'INVALID_TOKEN_HASH', at: '9f2c', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Site\nmetadata: {name: s}\nspec:\n  incoming:\n    - name: x\n      tokenSha256: 9f2c #<\n      access: read\n      feeds: ["*"]\n' } },
  { name: 'uppercase token hash', code: 'INVALID_TOKEN_HASH', at: 'AB', files: { 'x.yaml': `apiVersion: ferry/v1\nkind: Site\nmetadata: {name: s}\nspec:\n  incoming:\n    - name: x\n      tokenSha256: ${'AB'.repeat(32)} #<\n      access: read\n      feeds: ["*"]\n` } },
  { name: 'duration in words', code: 'INVALID_DURATION', at: '90 days', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Feed\nmetadata: {name: f}\nspec:\n  type: oci\n  sites: [hub]\n  retention:\n    maxAge: 90 days #<\n' } },
  { name: 'zero duration', code: 'INVALID_DURATION', at: '0s', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Feed\nmetadata: {name: f}\nspec:\n  type: oci\n  sites: [hub]\n  retention:\n    maxAge: 0s #<\n' } },
  { name: 'bandwidth without a unit', code: 'INVALID_BANDWIDTH', at: '50M', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Site\nmetadata: {name: s}\nspec:\n  bandwidth: 50M #<\n' } },
  { name: 'bandwidth per hour', code: 'INVALID_BANDWIDTH', at: '5GB/h', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Site\nmetadata: {name: s}\nspec:\n  bandwidth: 5GB/h #<\n' } },
  { name: 'zero bandwidth', code: 'INVALID_BANDWIDTH', at: '0Mbit', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Site\nmetadata: {name: s}\nspec:\n  bandwidth: 0Mbit/s #<\n' } },
  { name: 'hour 25', code: 'INVALID_TIME', at: '"25:00"', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Site\nmetadata: {name: s}\nspec:\n  windows:\n    - start: "25:00" #<\n      end: "06:00"\n' } },
  { name: 'time without leading zero', code: 'INVALID_TIME', at: '"6:00"', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Site\nmetadata: {name: s}\nspec:\n  windows:\n    - start: "22:00"\n      end: "6:00" #<\n' } },
  { name: 'day spelt out', code: 'INVALID_DAY', at: 'monday', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Site\nmetadata: {name: s}\nspec:\n  windows:\n    - days: [mon, monday] #<\n      start: "22:00"\n      end: "06:00"\n' } },
  { name: 'url without scheme', code: 'INVALID_URL', at: 'hub2', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Site\nmetadata: {name: s}\nspec:\n  url: hub2.example.net #<\n' } },
  { name: 'unknown feed type', code: 'INVALID_FEED_TYPE', at: 'docker', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Feed\nmetadata: {name: f}\nspec:\n  type: docker #<\n  sites: [hub]\n' } },
  { name: 'label key with a space', code: 'INVALID_LABEL', at: 'bad key', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Site\nmetadata:\n  name: s\n  labels:\n    bad key: x #<\nspec: {}\n' } },
  { name: 'secretRef with env and file', code: 'INVALID_SECRET_REF', at: 'secretRef', files: { 'x.yaml': rep(pullImages + '  token:\n    secretRef: {env: A, file: /x} #<\n') } },
  // Names
  {
    name: 'duplicate site across files',
    code: 'DUPLICATE_NAME',
    at: 'hub',
    files: { 'z.yaml': 'apiVersion: ferry/v1\nkind: Site\nmetadata:\n  name: hub #<\nspec: {}\n' },
  },
  // References
  { name: 'dangling target site', code: 'DANGLING_SITE_REF', at: 'store-3', files: { 'x.yaml': rep('  mode: push\n  source: {site: hub, feed: images}\n  target:\n    sites: [store-1, store-3] #<\n    feed: store-images\n') } },
  { name: 'dangling source site', code: 'DANGLING_SITE_REF', at: 'hubb', files: { 'x.yaml': rep('  mode: pull\n  source:\n    site: hubb #<\n    feed: images\n  target: {sites: [store-1], feed: store-images}\n') } },
  { name: 'dangling feed host', code: 'DANGLING_SITE_REF', at: 'nowhere', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Feed\nmetadata: {name: f}\nspec:\n  type: oci\n  sites: [hub, nowhere] #<\n' } },
  { name: 'dangling fallback', code: 'DANGLING_SITE_REF', at: 'hub-asia', files: { 'x.yaml': rep(pullImages + '  fallback: [hub-asia] #<\n') } },
  { name: 'dangling source feed', code: 'DANGLING_FEED_REF', at: 'imgs', files: { 'x.yaml': rep('  mode: pull\n  source:\n    site: hub\n    feed: imgs #<\n  target: {sites: [store-1], feed: store-images}\n') } },
  { name: 'dangling target feed', code: 'DANGLING_FEED_REF', at: 'store-img', files: { 'x.yaml': rep('  mode: pull\n  source: {site: hub, feed: images}\n  target:\n    sites: [store-1]\n    feed: store-img #<\n') } },
  { name: 'dangling upstream', code: 'DANGLING_UPSTREAM_REF', at: 'corp-reg', files: { 'x.yaml': rep('  mode: pull\n  source:\n    upstream: corp-reg #<\n  target: {sites: [hub], feed: images}\n') } },
  // Types and hosting
  { name: 'oci into debian', code: 'FEED_TYPE_MISMATCH', at: 'debs', files: { 'x.yaml': rep('  mode: pull\n  source: {site: hub, feed: images}\n  target:\n    sites: [store-1]\n    feed: debs #<\n') } },
  { name: 'upstream type mismatch', code: 'UPSTREAM_TYPE_MISMATCH', at: 'debs', files: { 'u.yaml': upstream(), 'x.yaml': rep('  mode: pull\n  source: {upstream: corp}\n  target:\n    sites: [hub]\n    feed: debs #<\n') } },
  { name: 'target does not host the feed', code: 'TARGET_FEED_NOT_HOSTED', at: 'store-1', files: { 'x.yaml': rep('  mode: push\n  source: {site: hub, feed: images}\n  target:\n    sites: [store-1] #<\n') } },
  { name: 'selected targets do not host the feed', code: 'TARGET_FEED_NOT_HOSTED', at: 'siteSelector', files: { 'x.yaml': rep('  mode: pull\n  source: {site: hub, feed: images}\n  target:\n    siteSelector: {matchLabels: {role: store}} #<\n') } },
  { name: 'source does not host the feed', code: 'SOURCE_FEED_NOT_HOSTED', at: 'store-1', files: { 'x.yaml': rep('  mode: pull\n  source:\n    site: store-1 #<\n    feed: images\n  target: {sites: [hub]}\n') } },
  { name: 'fallback does not host the feed', code: 'FALLBACK_FEED_NOT_HOSTED', at: 'store-1', files: { 'x.yaml': rep(pullImages + '  fallback: [store-1] #<\n') } },
  { name: 'pull from a site without url', code: 'SITE_URL_MISSING', at: 'store-2', files: { 'x.yaml': rep('  mode: pull\n  source:\n    site: store-2 #<\n    feed: debs\n  target: {sites: [hub]}\n') } },
  { name: 'push to a site without url', code: 'SITE_URL_MISSING', at: 'store-2', files: { 'x.yaml': rep('  mode: push\n  source: {site: hub, feed: debs}\n  target:\n    sites: [store-1, store-2] #<\n') } },
  { name: 'mirror with a peer without url', code: 'SITE_URL_MISSING', at: 'store-2', files: { 'x.yaml': rep('  mode: mirror\n  source: {site: hub, feed: debs}\n  target:\n    sites: [store-2] #<\n') } },
  { name: 'ping-pong pulls', code: 'REPLICATION_LOOP', at: 'store-1', files: { 'x.yaml': rep('  mode: pull\n  source: {site: hub, feed: debs}\n  target: {sites: [store-1]}\n', 'down') + '---\n' + rep('  mode: pull\n  source:\n    site: store-1 #<\n    feed: debs\n  target: {sites: [hub]}\n', 'up') } },
  { name: 'three-site cycle of push and pull', code: 'REPLICATION_LOOP', at: 'hub', files: { 'x.yaml': rep('  mode: pull\n  source:\n    site: hub #<\n    feed: debs\n  target: {sites: [store-1]}\n', 'a') + '---\n' + rep('  mode: push\n  source: {site: store-1, feed: debs}\n  target: {sites: [store-2]}\n', 'b').replace('{}', '{}') + '---\n' + rep('  mode: pull\n  source: {site: store-2, feed: debs}\n  target: {sites: [hub]}\n', 'c') } },
  { name: 'site and upstream in one source', code: 'INVALID_SOURCE', at: 'source', files: { 'u.yaml': upstream(), 'x.yaml': rep('  mode: pull\n  source: #<\n    site: hub\n    feed: images\n    upstream: corp\n  target: {sites: [store-1], feed: store-images}\n') } },
  { name: 'site without feed', code: 'INVALID_SOURCE', at: 'source', files: { 'x.yaml': rep('  mode: pull\n  source: #<\n    site: hub\n  target: {sites: [store-1], feed: store-images}\n') } },
  { name: 'upstream without target feed', code: 'INVALID_TARGET', at: 'target', files: { 'u.yaml': upstream(), 'x.yaml': rep('  mode: pull\n  source: {upstream: corp}\n  target: #<\n    sites: [hub]\n') } },
  { name: 'push from an upstream', code: 'PUSH_FROM_UPSTREAM', at: 'push', files: { 'u.yaml': upstream(), 'x.yaml': rep('  mode: push #<\n  source: {upstream: corp}\n  target: {sites: [hub], feed: images}\n') } },
  { name: 'selector typo', code: 'NO_TARGET_SITES', at: 'siteSelector', files: { 'x.yaml': rep('  mode: pull\n  source: {site: hub, feed: images}\n  target:\n    siteSelector: {matchLabels: {role: stores}} #<\n    feed: store-images\n') } },
  { name: 'feed selector matches nothing', code: 'SELECTOR_MATCHES_NOTHING', severity: 'warning', at: 'siteSelector', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Feed\nmetadata: {name: f}\nspec:\n  type: oci\n  siteSelector: {matchLabels: {role: edge}} #<\n' } },
  { name: 'feed hosted nowhere', code: 'FEED_NOT_HOSTED', severity: 'warning', at: 'spec', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Feed\nmetadata: {name: f}\nspec: #<\n  type: oci\n' } },
  { name: 'In without values', code: 'INVALID_SELECTOR', at: 'In', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Feed\nmetadata: {name: f}\nspec:\n  type: oci\n  siteSelector:\n    matchExpressions:\n      - key: role\n        operator: In #<\n' } },
  // Values
  { name: 'minute 61', code: 'INVALID_CRON', at: '"61', files: { 'x.yaml': rep(pullImages + '  schedule: "61 * * * *" #<\n') } },
  { name: 'four-field cron', code: 'INVALID_CRON', at: '"*/5', files: { 'x.yaml': rep(pullImages + '  schedule: "*/5 * * *" #<\n') } },
  { name: 'unknown time zone', code: 'INVALID_TIME_ZONE', at: 'Mars', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Site\nmetadata: {name: s}\nspec:\n  windows:\n    - start: "22:00"\n      end: "06:00"\n      timeZone: Mars/Olympus #<\n' } },
  { name: 'empty window', code: 'INVALID_WINDOW', at: '"22:00"', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Site\nmetadata: {name: s}\nspec:\n  windows:\n    - start: "22:00"\n      end: "22:00" #<\n' } },
  { name: 'unclosed bracket in a glob', code: 'INVALID_GLOB', at: '"apps/[a-z"', files: { 'x.yaml': rep(pullImages + '  filter:\n    include: ["apps/**", "apps/[a-z"] #<\n') } },
  { name: 'unclosed brace in incoming feeds', code: 'INVALID_GLOB', at: '"{a,b"', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Site\nmetadata: {name: s}\nspec:\n  incoming:\n    - name: x\n      tokenSha256: ' + 'e'.repeat(64) + '\n      access: read\n      feeds: ["{a,b"] #<\n' } },
  { name: 'bad semver range', code: 'INVALID_SEMVER_RANGE', at: '">=1.2.x.y"', files: { 'x.yaml': rep(pullImages + '  filter:\n    semver: ">=1.2.x.y" #<\n') } },
  // Secrets
  { name: 'plaintext sync token', code: 'PLAINTEXT_SECRET', at: 'ferry_', files: { 'x.yaml': rep(pullImages + '  token: ferry_3q2Wl0bYJmZ3gQ9s1xk0V8bq5dXH2yTQ3cYQmJ7kq1Q #<\n') } },
  { name: 'credentials with a password', code: 'PLAINTEXT_SECRET', at: 'credentials', files: { 'u.yaml': upstream('  credentials: {username: bot, password: hunter2} #<\n'), 'x.yaml': rep('  mode: pull\n  source: {upstream: corp}\n  target: {sites: [hub], feed: images}\n') } },
  { name: 'token in tokenSha256', code: 'PLAINTEXT_SECRET', at: 'ferry_', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Site\nmetadata: {name: s}\nspec:\n  incoming:\n    - name: x\n      tokenSha256: ferry_3q2Wl0bYJmZ3gQ9s1xk0V8bq5dXH2yTQ3cYQmJ7kq1Q #<\n      access: read\n      feeds: ["*"]\n' } },
  { name: 'password in a url', code: 'PLAINTEXT_SECRET', at: 'https', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Site\nmetadata: {name: s}\nspec:\n  url: https://admin:s3cret@s.example.net #<\n' } },
  { name: 'a value next to secretRef', code: 'PLAINTEXT_SECRET', at: 'token', files: { 'x.yaml': rep(pullImages + '  token: {secretRef: {env: T}, value: hunter2} #<\n') } },
  { name: 'secretRef as a string', code: 'INVALID_SECRET_REF', at: 'hunter2', files: { 'x.yaml': rep(pullImages + '  token:\n    secretRef: hunter2 #<\n') } },
  { name: 'token key in an incoming rule', code: 'PLAINTEXT_SECRET', at: 'abc', files: { 'x.yaml': 'apiVersion: ferry/v1\nkind: Site\nmetadata: {name: s}\nspec:\n  incoming:\n    - name: x\n      token: abc123 #<\n      access: read\n      feeds: ["*"]\n' } },
  // Access (warnings)
  { name: 'pull without read rule', code: 'INCOMING_READ_MISSING', severity: 'warning', at: 'store-1', files: { 'x.yaml': rep('  mode: pull\n  source:\n    site: store-1 #<\n    feed: debs\n  target: {sites: [hub]}\n') } },
  { name: 'fallback without read rule', code: 'INCOMING_READ_MISSING', severity: 'warning', at: 'store-1', files: { 'x.yaml': rep('  mode: pull\n  source: {site: hub, feed: debs}\n  target: {sites: [store-2]}\n  fallback: [store-1] #<\n') } },
  { name: 'push without write rule', code: 'INCOMING_WRITE_MISSING', severity: 'warning', at: 'siteSelector', files: { 's.yaml': 'apiVersion: ferry/v1\nkind: Site\nmetadata: {name: store-3, labels: {role: edge}}\nspec: {url: "https://s3.example.net"}\n', 'x.yaml': rep('  mode: push\n  source: {site: hub, feed: debs}\n  target:\n    siteSelector: {matchLabels: {role: edge}} #<\n    feed: e\n') + '---\napiVersion: ferry/v1\nkind: Feed\nmetadata: {name: e}\nspec: {type: debian, siteSelector: {matchLabels: {role: edge}}}\n' } },
  { name: 'same token hash twice', code: 'DUPLICATE_TOKEN_HASH', severity: 'warning', at: HASH_A, files: { 'x.yaml': `apiVersion: ferry/v1\nkind: Site\nmetadata: {name: s}\nspec:\n  incoming:\n    - name: x\n      tokenSha256: ${HASH_A} #<\n      access: read\n      feeds: ["*"]\n` } },
  { name: 'incoming name twice', code: 'DUPLICATE_INCOMING_NAME', at: 'x', files: { 'x.yaml': `apiVersion: ferry/v1\nkind: Site\nmetadata: {name: s}\nspec:\n  incoming:\n    - {name: x, tokenSha256: ${'d'.repeat(64)}, access: read, feeds: ["*"]}\n    - name: x #<\n      tokenSha256: ${'e'.repeat(64)}\n      access: write\n      feeds: ["*"]\n` } },
  // Fallback and self-replication
  { name: 'fallback on push', code: 'FALLBACK_IGNORED', severity: 'warning', at: 'fallback', files: { 'x.yaml': rep('  mode: push\n  source: {site: hub, feed: debs}\n  target: {sites: [store-1]}\n  fallback: [store-2] #<\n') } },
  { name: 'fallback is the source', code: 'FALLBACK_IS_SOURCE', severity: 'warning', at: 'hub', files: { 'x.yaml': rep(pullImages + '  fallback: [hub] #<\n') } },
  { name: 'site replicates a feed onto itself', code: 'SOURCE_IS_TARGET', at: 'hub', files: { 'x.yaml': rep('  mode: push\n  source: {site: hub, feed: debs}\n  target:\n    sites: [hub] #<\n') } },
  { name: 'unused upstream', code: 'UNUSED_UPSTREAM', severity: 'warning', at: 'corp', files: { 'u.yaml': 'apiVersion: ferry/v1\nkind: Upstream\nmetadata:\n  name: corp #<\nspec: {type: oci, url: "https://r.example"}\n' } },
  { name: 'debian upstream without signedBy', code: 'UPSTREAM_UNVERIFIED', severity: 'warning', at: 'debian', files: { 'u.yaml': 'apiVersion: ferry/v1\nkind: Upstream\nmetadata: {name: debs-up}\nspec:\n  type: debian #<\n  url: "https://deb.example"\n  distributions: [bookworm]\n' } },
  { name: 'rpm upstream with insecureSkipVerify', code: 'UPSTREAM_UNVERIFIED', severity: 'warning', at: 'true', files: { 'u.yaml': 'apiVersion: ferry/v1\nkind: Upstream\nmetadata: {name: rpms-up}\nspec:\n  type: rpm\n  url: "https://rpm.example"\n  insecureSkipVerify: true #<\n' } },
];
