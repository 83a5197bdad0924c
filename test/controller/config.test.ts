import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSiteConfig } from '../../src/controller/config.js';
import { isFerryError } from '../../src/errors/index.js';

const dir = mkdtempSync(join(tmpdir(), 'ferry-config-'));
const file = join(dir, 'site.yaml');
writeFileSync(file, 'site: spoke-a\ntopology: {url: ./topology-repo, pollInterval: 30s}\ndataDir: ./data\nlisten: 127.0.0.1:9000\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('site config loading', () => {
  it('resolves relative paths against the file and applies defaults from the schema', async () => {
    const { config } = await loadSiteConfig({ file, env: {} });
    expect(config.dataDir).toBe(join(dir, 'data'));
    expect(config.topology.url).toBe(join(dir, 'topology-repo'));
    expect(config.listen).toBe('127.0.0.1:9000');
  });

  it('flag > FERRY_* environment > file', async () => {
    const { config } = await loadSiteConfig({ file, env: { FERRY_LISTEN: '127.0.0.1:9001', FERRY_SITE: 'spoke-b', FERRY_POLL_INTERVAL: '5m' }, flags: { listen: '127.0.0.1:9002' } });
    expect(config.listen).toBe('127.0.0.1:9002');
    expect(config.site).toBe('spoke-b');
    expect(config.topology.pollInterval).toBe('5m');
  });

  it('works from flags and environment alone', async () => {
    const { config } = await loadSiteConfig({ env: { FERRY_DATA_DIR: dir }, flags: { site: 'hub', topologyUrl: 'https://git.example.net/t.git' } });
    expect(config).toMatchObject({ site: 'hub', dataDir: dir, topology: { url: 'https://git.example.net/t.git' } });
  });

  it.each([
    [{ FERRY_SITE: 'Not_A_DNS_Label' }],
    [{ FERRY_POLL_INTERVAL: 'soon' }],
    [{ FERRY_LISTEN: 'everywhere' }],
  ])('rejects an invalid override %o with CONFIG_INVALID', async (env) => {
    const err = await loadSiteConfig({ file, env }).catch((e: unknown) => e);
    expect(isFerryError(err, 'CONFIG_INVALID')).toBe(true);
  });

  it('reports an unreadable file as IO_ERROR', async () => {
    const err = await loadSiteConfig({ file: join(dir, 'missing.yaml'), env: {} }).catch((e: unknown) => e);
    expect(isFerryError(err, 'IO_ERROR')).toBe(true);
  });
});
