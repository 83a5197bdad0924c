/**
 * The table of broken topologies, validated in-process: each case must produce its code, with
 * its severity, at the marked file:line:column. Errors make the topology invalid; warning-only
 * cases keep it valid.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadTopologyDir, loadTopologyFiles, IssueCode } from '../../src/topology/index.js';
import { BASE, expectedPosition, removeDir, writeTopology } from './helpers.js';
import { brokenCases } from './cases.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(removeDir));
});

describe('broken topologies', () => {
  it.each(brokenCases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const files = c.noBase ? c.files : { 'base.yaml': BASE, ...c.files };
    const dir = await writeTopology(files);
    dirs.push(dir);
    const result = await loadTopologyDir(dir);
    const want = expectedPosition(c.files, c.at);
    const severity = c.severity ?? 'error';
    const found = result.issues.filter((i) => i.code === c.code);
    expect(found.map((i) => ({ file: i.file, line: i.line, column: i.column, severity: i.severity }))).toContainEqual({ ...want, severity });
    if (severity === 'error') {
      expect(result.valid).toBe(false);
    } else {
      expect(result.valid, JSON.stringify(result.issues)).toBe(true);
    }
    // No issue anywhere may echo a secret.
    expect(JSON.stringify(result.issues)).not.toMatch(/hunter2|s3cret|ferry_3q2W|abc123/);
  });

  it('covers every issue code that a topology can produce', () => {
    const covered = new Set(brokenCases.map((c) => c.code));
    // Codes exercised by hostile.test.ts (files, limits) rather than this table.
    const elsewhere = ['FILE_TOO_LARGE', 'TOPOLOGY_TOO_LARGE', 'FILE_NOT_UTF8', 'FILE_BINARY', 'FILE_UNREADABLE', 'SYMLINK_ESCAPE', 'YAML_WARNING', 'YAML_TOO_DEEP', 'YAML_TOO_MANY_DOCUMENTS', 'TOO_MANY_ISSUES'];
    const missing = Object.values(IssueCode).filter((code) => !covered.has(code) && !elsewhere.includes(code));
    expect(missing).toEqual([]);
  });

  it('every problem is reported, also the semantic ones of resources that failed the schema', () => {
    const content = `apiVersion: ferry/v1
kind: Site
metadata: {name: hub-us, labels: {role: hub}}
spec:
  url: https://hub-us.example.net
  incoming:
    - {name: stores, tokenSha256: 9f2c, access: read, feeds: ["*"]}
  bandwidth: 50Mbit
  windows:
    - {days: [mon, fun], start: "22:00", end: "06:00", timeZone: America/Chicag}
---
apiVersion: ferry/v1
kind: Site
metadata: {name: store-1, labels: {role: store}}
---
apiVersion: ferry/v1
kind: Feed
metadata: {name: images}
spec: {type: oci, sites: [hub-us]}
---
apiVersion: ferry/v1
kind: Feed
metadata: {name: store-debs}
spec: {type: debian, siteSelector: {matchLabels: {role: store}}}
---
apiVersion: ferry/v1
kind: Replication
metadata: {name: images-to-stores}
spec:
  mode: pull
  source: {site: hub-us, feed: images}
  target:
    siteSelector: {matchLabels: {role: stores}}
    feed: store-debs
  schedule: "*/5 * * *"
  filter: {semver: ">=1.2.0.0"}
  token: ferry_abcdefabcdefabcdefabcdefabcdefabcdefabcdefg
  fallback: [hub-asia]
`;
    const result = loadTopologyFiles([{ path: 't.yaml', content }]);
    expect(result.issues.map((i) => [i.line, i.code])).toEqual([
      [7, 'INVALID_TOKEN_HASH'],
      [8, 'INVALID_BANDWIDTH'],
      [10, 'INVALID_DAY'],
      [10, 'INVALID_TIME_ZONE'],
      [33, 'NO_TARGET_SITES'],
      [34, 'FEED_TYPE_MISMATCH'],
      [35, 'INVALID_CRON'],
      [36, 'INVALID_SEMVER_RANGE'],
      [37, 'PLAINTEXT_SECRET'],
      [38, 'DANGLING_SITE_REF'],
    ]);
    // Only schema-valid resources are in the result.
    expect(result.topology.sites.map((s) => s.metadata.name)).toEqual(['store-1']);
    expect(result.topology.replications).toEqual([]);
    expect(result.topology.feeds.map((f) => f.metadata.name)).toEqual(['images', 'store-debs']);
  });

  it('a dangling reference suggests the near name', () => {
    const rep = 'apiVersion: ferry/v1\nkind: Replication\nmetadata: {name: r}\nspec:\n  mode: pull\n  source: {site: hubb, feed: image}\n  target: {sites: [store-1], feed: store-images}\n';
    const result = loadTopologyFiles([{ path: 'base.yaml', content: BASE }, { path: 'r.yaml', content: rep }]);
    expect(result.issues.map((i) => i.message)).toEqual([
      expect.stringContaining('did you mean "hub"?') as string,
      expect.stringContaining('did you mean "images"?') as string,
    ]);
  });

  it('base topology is valid with no issue at all', async () => {
    const dir = await writeTopology({ 'base.yaml': BASE });
    dirs.push(dir);
    const result = await loadTopologyDir(dir);
    expect(result.issues).toEqual([]);
    expect(result.valid).toBe(true);
    expect(result.topology.sites.map((s) => s.metadata.name)).toEqual(['hub', 'store-1', 'store-2']);
  });
});
