/**
 * Loads the site config (`ferry controller --config site.yaml`) and applies overrides:
 * flag > `FERRY_*` environment variable > file > default. The merged result is validated
 * against schemas/site-config.schema.json again, so an override cannot smuggle in a bad value.
 * Secrets stay `secretRef`s here; they are resolved where they are used.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { FerryError, ErrorCode } from '../errors/index.js';
import { validateSiteConfig, type SiteConfig, type ValidationIssue } from '../topology/index.js';

/** Override name → [environment variable, setter]. Flags use the same names (camelCase). */
export const configOverrides = {
  site: ['FERRY_SITE', (c, v) => { c.site = v; }],
  topologyUrl: ['FERRY_TOPOLOGY_URL', (c, v) => { c.topology = { ...c.topology, url: v }; }],
  topologyRef: ['FERRY_TOPOLOGY_REF', (c, v) => { c.topology = { ...c.topology, ref: v }; }],
  topologyPath: ['FERRY_TOPOLOGY_PATH', (c, v) => { c.topology = { ...c.topology, path: v }; }],
  pollInterval: ['FERRY_POLL_INTERVAL', (c, v) => { c.topology = { ...c.topology, pollInterval: v }; }],
  dataDir: ['FERRY_DATA_DIR', (c, v) => { c.dataDir = v; }],
  listen: ['FERRY_LISTEN', (c, v) => { c.listen = v; }],
  tlsCert: ['FERRY_TLS_CERT', (c, v) => { c.tls = { key: '', ...c.tls, cert: v }; }],
  tlsKey: ['FERRY_TLS_KEY', (c, v) => { c.tls = { cert: '', ...c.tls, key: v }; }],
  logLevel: ['FERRY_LOG_LEVEL', (c, v) => { c.logLevel = v; }],
} as const satisfies Record<string, readonly [string, (config: Record<string, any>, value: string) => void]>;

export type ConfigOverrideName = keyof typeof configOverrides;
export type ConfigOverrides = Partial<Record<ConfigOverrideName, string>>;

export interface LoadedSiteConfig {
  config: SiteConfig;
  /** Where each value came from is not tracked; the file path, for messages. */
  file?: string;
}

function invalid(file: string, issues: ValidationIssue[]): FerryError {
  const lines = issues.filter((i) => i.severity === 'error').map((i) => `${i.file}:${i.line}:${i.column}: ${i.code} ${i.message}`);
  return new FerryError('CONFIG_INVALID', `site config is invalid:\n${lines.join('\n')}`, { data: { file, issues: lines.length } });
}

/**
 * Reads and validates the config. Relative paths inside the file (dataDir, tls, a local
 * topology path) are resolved against the file's directory.
 */
export async function loadSiteConfig(options: { file?: string; flags?: ConfigOverrides; env?: NodeJS.ProcessEnv }): Promise<LoadedSiteConfig> {
  const env = options.env ?? process.env;
  let base: Record<string, any> = {};
  let baseDir = process.cwd();
  if (options.file) {
    let text: Buffer;
    try {
      text = await readFile(options.file);
    } catch (err) {
      throw new FerryError(ErrorCode.io, `cannot read site config ${options.file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { data: { file: options.file } });
    }
    const result = validateSiteConfig(options.file, text);
    if (!result.valid || !result.config) throw invalid(options.file, result.issues);
    base = structuredClone(result.config) as Record<string, any>;
    baseDir = resolve(options.file, '..');
  }
  let overridden = false;
  for (const [name, [variable, apply]] of Object.entries(configOverrides)) {
    const value = options.flags?.[name as ConfigOverrideName] ?? env[variable];
    if (value !== undefined && value !== '') {
      apply(base, value);
      overridden = true;
    }
  }
  for (const key of ['dataDir'] as const) if (typeof base[key] === 'string' && !isAbsolute(base[key])) base[key] = resolve(baseDir, base[key]);
  if (base.tls) for (const k of ['cert', 'key']) if (base.tls[k] && !isAbsolute(base.tls[k])) base.tls[k] = resolve(baseDir, base.tls[k]);
  const url: unknown = base.topology?.url;
  if (typeof url === 'string' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !isAbsolute(url)) base.topology.url = resolve(baseDir, url);

  if (!options.file || overridden) {
    const label = options.file ? `${options.file} (with overrides)` : '<flags and environment>';
    const result = validateSiteConfig(label, JSON.stringify(base));
    if (!result.valid || !result.config) throw invalid(label, result.issues);
    return { config: result.config, ...(options.file ? { file: options.file } : {}) };
  }
  return { config: Object.freeze(base) as SiteConfig, file: options.file };
}
