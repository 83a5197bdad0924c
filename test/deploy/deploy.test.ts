/**
 * The deployment examples in deploy/ are tested, not just shown: the systemd unit passes
 * `systemd-analyze verify` with no warning, both site configs validate against the schema, and
 * the Kubernetes manifest's command, mounts and probes match what the controller really serves
 * (a controller started from the ConfigMap's site.yaml answers the probe paths).
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { validateSiteConfig, type SiteConfig } from '../../src/topology/index.js';
import { startController } from '../../src/controller/controller.js';
import { createTopologyRepo } from '../helpers/topology-repo.js';
import { freePort } from '../helpers/controllers.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');

describe('deploy/systemd', () => {
  it('the unit passes systemd-analyze verify without warnings', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-unit-'));
    try {
      const unit = readFileSync(join(root, 'deploy/systemd/ferry-controller.service'), 'utf8');
      expect(unit).toMatch(/^ExecStart=\/usr\/bin\/ferry controller --config \/etc\/ferry\/site\.yaml$/m);
      // verify checks that the command exists: point it at this checkout's executable.
      writeFileSync(join(dir, 'ferry-controller.service'), unit.replace('/usr/bin/ferry', join(root, 'bin/ferry.js')));
      const { stderr } = await run('systemd-analyze', ['verify', join(dir, 'ferry-controller.service')]);
      expect(stderr.trim()).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('its site.yaml is a valid site config', () => {
    const result = validateSiteConfig('deploy/systemd/site.yaml', readFileSync(join(root, 'deploy/systemd/site.yaml')));
    expect(result.issues).toEqual([]);
    expect(result.valid).toBe(true);
  });
});

describe('deploy/k8s', () => {
  const docs = parseAllDocuments(readFileSync(join(root, 'deploy/k8s/ferry-controller.yaml'), 'utf8')).map((d) => d.toJS() as Record<string, any>);
  const configMap = docs.find((d) => d.kind === 'ConfigMap');
  const statefulSet = docs.find((d) => d.kind === 'StatefulSet');
  const container = statefulSet?.spec.template.spec.containers[0];

  it('runs `ferry controller --config` on the ConfigMap’s valid site.yaml', () => {
    expect(container.args).toEqual(['controller', '--config', '/etc/ferry/site.yaml']);
    const mount = container.volumeMounts.find((m: { name: string }) => m.name === 'config');
    expect(mount.mountPath).toBe('/etc/ferry');
    const result = validateSiteConfig('site.yaml', configMap?.data['site.yaml']);
    expect(result.valid).toBe(true);
    const site = result.config as SiteConfig;
    expect(Number(site.listen?.split(':')[1])).toBe(container.ports[0].containerPort);
    expect(container.volumeMounts.find((m: { name: string }) => m.name === 'data').mountPath).toBe(site.dataDir);
  });

  it('its probe paths are served by a controller started from that config', async () => {
    const repo = createTopologyRepo();
    const dataDir = mkdtempSync(join(tmpdir(), 'ferry-k8s-'));
    const port = await freePort();
    repo.commit('one site', { 'topology/site.yaml': `apiVersion: ferry/v1\nkind: Site\nmetadata: {name: store-001}\nspec: {url: "http://127.0.0.1:${port}"}\n` });
    const config = parse(configMap?.data['site.yaml']) as SiteConfig;
    const controller = await startController({
      config: { ...config, topology: { ...config.topology, url: repo.dir, credentials: undefined } as SiteConfig['topology'], dataDir, listen: `127.0.0.1:${port}`, webhook: undefined } as SiteConfig,
      jitterMaxMs: 0,
    });
    try {
      for (const probe of [container.readinessProbe, container.livenessProbe]) {
        expect((await fetch(`${controller.url}${probe.httpGet.path}`)).status).toBe(200);
      }
    } finally {
      await controller.stop();
      repo.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
