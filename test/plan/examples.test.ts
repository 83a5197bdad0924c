import { describe, expect, it } from 'vitest';
import { exampleNames, loadExample } from './load-example.js';

// Every example must validate without a warning (edge-constraints shares one token between a hub
// and its fallback hub, which the validator accepts: a replication presents one token to both).
const expectedWarnings: Record<string, string[]> = {};

describe('examples', () => {
  it.each(exampleNames)('%s validates clean', async (name) => {
    const result = await loadExample(name);
    expect(result.valid).toBe(true);
    expect(result.issues.map((i) => i.code)).toEqual(expectedWarnings[name] ?? []);
  });

  it.each(exampleNames)('%s uses DNS-label names and only token hashes', async (name) => {
    const { topology } = await loadExample(name);
    const all = [...topology.sites, ...topology.feeds, ...topology.upstreams, ...topology.replications];
    for (const r of all) expect(r.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
    for (const site of topology.sites) {
      for (const rule of site.spec.incoming ?? []) expect(rule.tokenSha256).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(JSON.stringify(topology)).not.toMatch(/ferry_[A-Za-z0-9_-]{43}/);
  });
});
