/**
 * Validation benchmark: generates topologies of 1,000 and 5,000 sites (feeds and replications
 * in proportion: N/10 each, one file per region), then times `loadTopologyDir` (read + parse +
 * schema + semantic checks) against parsing the same YAML alone (read + yaml.parseAllDocuments +
 * toJS), alternating runs in child processes so each reports its own peak RSS.
 *
 *   npx tsx bench/validate.ts [--sizes 1000,5000] [--runs 3]
 *
 * Target (issue 2): ratio ≤ 3 at 5,000 sites.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const TYPES = ['oci', 'generic', 'debian', 'rpm', 'chocolatey'] as const;
const SITES_PER_REGION = 50;

/** Region r: 1 hub + 49 stores, 5 store feeds, 5 pull replications; hub 0 feeds every hub. */
function regionFiles(r: number, regions: number): Record<string, string> {
  const hash = (n: number): string => n.toString(16).padStart(8, '0').repeat(8);
  const sites: string[] = [];
  const rules = Array.from({ length: 3 }, (_, k) => `    - {name: in-${k}, tokenSha256: "${hash(r * 10 + k + 1)}", access: read, feeds: ["*"]}`).join('\n');
  sites.push(`apiVersion: ferry/v1
kind: Site
metadata: {name: hub-r${r}, labels: {role: hub, region: r${r}}}
spec:
  url: https://hub-r${r}.example.net
  incoming:
${rules}
  bandwidth: 1Gbit/s
`);
  for (let s = 1; s < SITES_PER_REGION; s++) {
    sites.push(`apiVersion: ferry/v1
kind: Site
metadata:
  name: store-r${r}-${s}
  labels: {role: store, region: r${r}, tier: t${s % 3}}
spec:
  bandwidth: ${10 + (s % 5) * 10}Mbit/s
  windows:
    - {days: [mon, tue, wed, thu, fri], start: "22:00", end: "06:00", timeZone: Europe/Berlin}
`);
  }
  const feeds = TYPES.map(
    (t) => `apiVersion: ferry/v1
kind: Feed
metadata: {name: ${t}-r${r}}
spec:
  type: ${t}
  siteSelector: {matchLabels: {role: store, region: r${r}}}
  retention: {keepLatest: 5}
`,
  );
  const reps = TYPES.map(
    (t) => `apiVersion: ferry/v1
kind: Replication
metadata: {name: ${t}-to-r${r}}
spec:
  mode: pull
  source: {site: hub-r${r}, feed: ${t}-all}
  target:
    siteSelector: {matchLabels: {role: store, region: r${r}}}
    feed: ${t}-r${r}
  schedule: "*/5 * * * *"
  filter: {include: ["apps/**"], tags: ["v*"], semver: ">=1.0.0"}
  token: {secretRef: {env: FERRY_TOKEN_R${r}}}
  fallback: [hub-r${(r + 1) % regions}]
`,
  );
  return { [`regions/r${r}/sites.yaml`]: sites.join('---\n'), [`regions/r${r}/feeds.yaml`]: feeds.join('---\n'), [`regions/r${r}/replications.yaml`]: reps.join('---\n') };
}

/** Global feeds on every hub, and hub-r0 → other hubs. */
function globalFiles(): Record<string, string> {
  const feeds = TYPES.map((t) => `apiVersion: ferry/v1\nkind: Feed\nmetadata: {name: ${t}-all}\nspec: {type: ${t}, siteSelector: {matchLabels: {role: hub}}}\n`);
  const reps = TYPES.map(
    (t) =>
      `apiVersion: ferry/v1\nkind: Replication\nmetadata: {name: ${t}-hubs}\nspec:\n  mode: pull\n  source: {site: hub-r0, feed: ${t}-all}\n  target:\n    siteSelector:\n      matchLabels: {role: hub}\n      matchExpressions: [{key: region, operator: NotIn, values: [r0]}]\n`,
  );
  return { 'global/feeds.yaml': feeds.join('---\n'), 'global/replications.yaml': reps.join('---\n') };
}

async function generate(sites: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `ferry-bench-validate-${sites}-`));
  const regions = Math.ceil(sites / SITES_PER_REGION);
  const files = { ...globalFiles() };
  for (let r = 0; r < regions; r++) Object.assign(files, regionFiles(r, regions));
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await writeFile(join(dir, rel), content);
  }
  return dir;
}

async function yamlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && /\.ya?ml$/.test(e.name)).map((e) => join(e.parentPath, e.name)).sort();
}

/** Child: one measurement, printed as JSON. */
async function measure(dir: string, mode: 'parse' | 'validate'): Promise<void> {
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  let count = 0;
  if (mode === 'parse') {
    for (const file of await yamlFiles(dir)) {
      const text = await readFile(file, 'utf8');
      for (const doc of parseAllDocuments(text)) {
        doc.toJS();
        count++;
      }
    }
  } else {
    const { loadTopologyDir } = await import('../src/topology/index.js');
    const result = await loadTopologyDir(dir);
    const t = result.topology;
    count = t.sites.length + t.feeds.length + t.upstreams.length + t.replications.length;
    if (!result.valid) throw new Error(`generated topology is invalid: ${JSON.stringify(result.issues.slice(0, 3))}`);
  }
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuStart);
  process.stdout.write(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, count, maxRssMB: process.resourceUsage().maxRSS / 1024 }) + '\n');
}

interface Measured {
  ms: number;
  cpuMs: number;
  count: number;
  maxRssMB: number;
}

function runChild(dir: string, mode: 'parse' | 'validate'): Measured {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [...process.execArgv, self, '--measure', dir, mode], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Measured;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--measure') return measure(args[1]!, args[2] as 'parse' | 'validate');
  const opt = (name: string, def: string): string => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] ? args[i + 1]! : def;
  };
  const sizes = opt('--sizes', '1000,5000').split(',').map(Number);
  const runs = Number(opt('--runs', '3'));
  console.log('Wall and CPU (user+sys) time of one cold run each, medians of --runs; CPU time is the steadier figure on a shared machine.');
  console.log('sites  resources  parse ms (cpu)  validate ms (cpu)  ratio wall  ratio cpu  parse RSS MB  validate RSS MB');
  for (const size of sizes) {
    const dir = await generate(size);
    try {
      const parse: Measured[] = [];
      const validate: Measured[] = [];
      for (let i = 0; i < runs; i++) {
        parse.push(runChild(dir, 'parse'));
        validate.push(runChild(dir, 'validate'));
      }
      const m = (xs: Measured[], k: 'ms' | 'cpuMs'): number => median(xs.map((x) => x[k]));
      const peak = (xs: Measured[]): number => Math.max(...xs.map((x) => x.maxRssMB));
      const cells = [
        String(size).padStart(5),
        String(validate[0]!.count).padStart(9),
        `${m(parse, 'ms').toFixed(0)} (${m(parse, 'cpuMs').toFixed(0)})`.padStart(14),
        `${m(validate, 'ms').toFixed(0)} (${m(validate, 'cpuMs').toFixed(0)})`.padStart(17),
        (m(validate, 'ms') / m(parse, 'ms')).toFixed(2).padStart(10),
        (m(validate, 'cpuMs') / m(parse, 'cpuMs')).toFixed(2).padStart(9),
        peak(parse).toFixed(0).padStart(12),
        peak(validate).toFixed(0).padStart(15),
      ];
      console.log(cells.join('  '));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

if (process.argv[2] === '--generate') {
  // Writes one topology and prints its directory (for profiling by hand); the caller removes it.
  console.log(await generate(Number(process.argv[3])));
} else {
  await main();
}
