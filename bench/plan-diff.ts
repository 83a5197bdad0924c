/**
 * Plan / diff / graph benchmark: generates topologies of 1,000 and 5,000 sites (50 per region:
 * one hub + 49 stores; two feeds and one pull replication per region, selectors, a fallback),
 * loads a base and a head (one replication's schedule changed, one store added) in memory, and
 * times what `ferry diff` and `ferry graph` add on top of loading:
 *   - diffTopologies(base, head)  (plans every site of both revisions, then compares)
 *   - planForSite for every site  (what all controllers compute, summed)
 *   - buildGraph + renderDot
 * Prints medians and each as a ratio to loading the two revisions (loadTopologyFiles x2).
 *
 *   npx tsx bench/plan-diff.ts [--sizes 1000,5000] [--runs 3]
 */
import { performance } from 'node:perf_hooks';
import { loadTopologyFiles, type Topology } from '../src/topology/index.js';
import { buildGraph, diffTopologies, planForSite, renderDot } from '../src/plan/index.js';

const SITES_PER_REGION = 50;

function region(r: number): string {
  const docs: string[] = [
    `apiVersion: ferry/v1
kind: Site
metadata: {name: hub-r${r}, labels: {role: hub, region: r${r}}}
spec:
  url: https://hub-r${r}.example.net
  incoming: [{name: stores, tokenSha256: "${(r + 1).toString(16).padStart(64, '0')}", access: read, feeds: ["*"]}]
`,
  ];
  for (let s = 1; s < SITES_PER_REGION; s++) {
    docs.push(`apiVersion: ferry/v1
kind: Site
metadata: {name: store-r${r}-${s}, labels: {role: store, region: r${r}}}
spec:
  url: https://store-r${r}-${s}.example.net
  bandwidth: 20Mbit/s
  windows: [{days: [mon, tue, wed, thu, fri], start: "22:00", end: "06:00", timeZone: Europe/Berlin}]
`);
  }
  docs.push(`apiVersion: ferry/v1
kind: Feed
metadata: {name: images-r${r}}
spec: {type: oci, sites: [hub-r${r}]}
`, `apiVersion: ferry/v1
kind: Feed
metadata: {name: store-images-r${r}}
spec: {type: oci, siteSelector: {matchLabels: {role: store, region: r${r}}}, retention: {keepLatest: 5}}
`, `apiVersion: ferry/v1
kind: Replication
metadata: {name: images-to-r${r}}
spec:
  mode: pull
  source: {site: hub-r${r}, feed: images-r${r}}
  target: {siteSelector: {matchLabels: {role: store, region: r${r}}}, feed: store-images-r${r}}
  schedule: "*/5 * * * *"
  filter: {tags: ["v*"]}
  token: {secretRef: {env: FERRY_TOKEN_R${r}}}
`);
  return docs.join('---\n');
}

function files(sites: number, head: boolean): Array<{ path: string; content: string }> {
  const regions = Math.ceil(sites / SITES_PER_REGION);
  const out = Array.from({ length: regions }, (_, r) => ({ path: `r${r}.yaml`, content: region(r) }));
  if (head) {
    out[0]!.content = out[0]!.content.replace('schedule: "*/5 * * * *"', 'schedule: "*/10 * * * *"');
    out.push({ path: 'new-store.yaml', content: 'apiVersion: ferry/v1\nkind: Site\nmetadata: {name: store-new, labels: {role: store, region: r1}}\nspec: {url: https://store-new.example.net}\n' });
  }
  return out;
}

function time<T>(fn: () => T): [number, T] {
  const t = performance.now();
  const v = fn();
  return [performance.now() - t, v];
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

function runOnce(sites: number): Record<string, number> {
  const base = files(sites, false);
  const head = files(sites, true);
  const [load, [a, b]] = time((): [Topology, Topology] => [loadTopologyFiles(base).topology, loadTopologyFiles(head).topology]);
  const [diff, d] = time(() => diffTopologies(a, b));
  if (d.sites.length !== SITES_PER_REGION) throw new Error(`unexpected diff: ${d.sites.length} sites`);
  const [plans] = time(() => a.sites.forEach((s) => planForSite(a, s.metadata.name)));
  const [graph] = time(() => renderDot(buildGraph(b, { groupBy: 'region' })));
  return { load, diff, plans, graph };
}

const sizes = arg('--sizes', '1000,5000').split(',').map(Number);
const runs = Number(arg('--runs', '3'));
console.log('sites  load x2 (ms)  diff (ms)  ratio  all plans (ms)  ratio  graph+dot (ms)  ratio  peak RSS (MB)');
for (const sites of sizes) {
  const results = Array.from({ length: runs }, () => runOnce(sites));
  const m = (k: string): number => median(results.map((r) => r[k] ?? NaN));
  const load = m('load');
  const row = [sites, load.toFixed(0), m('diff').toFixed(0), (m('diff') / load).toFixed(2), m('plans').toFixed(0), (m('plans') / load).toFixed(2), m('graph').toFixed(0), (m('graph') / load).toFixed(2), (process.resourceUsage().maxRSS / 1024).toFixed(0)];
  console.log(row.join('  '));
}
