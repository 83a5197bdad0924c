/**
 * The site's repository signing key comes from its config (`signingKey.secretRef`): the APT and
 * YUM views of a controller sign with it and publish its public half, never a generated key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as openpgp from 'openpgp';
import { createTopologyRepo, type TopologyRepo } from '../helpers/topology-repo.js';
import { freePort, siteHarness } from '../helpers/controllers.js';
import type { RunningController } from '../../src/controller/controller.js';

describe('controller: site signing key from config', () => {
  const harness = siteHarness();
  const envName = `FERRY_SIGNING_KEY_${process.pid}`;
  let repo: TopologyRepo;
  let site: RunningController;
  let fingerprint: string;

  beforeAll(async () => {
    const { privateKey, publicKey } = await openpgp.generateKey({ type: 'ecc', curve: 'ed25519Legacy', userIDs: [{ name: 'Store 001', email: 'store@example.invalid' }], format: 'armored' });
    fingerprint = (await openpgp.readKey({ armoredKey: publicKey })).getFingerprint().toUpperCase();
    process.env[envName] = privateKey;
    const port = await freePort();
    repo = createTopologyRepo();
    repo.commit('one site', {
      'topology/all.yaml': `apiVersion: ferry/v1
kind: Site
metadata: {name: store-001}
spec: {url: "http://127.0.0.1:${port}", anonymousRead: true}
---
apiVersion: ferry/v1
kind: Feed
metadata: {name: debs}
spec: {type: debian, sites: [store-001]}
---
apiVersion: ferry/v1
kind: Feed
metadata: {name: rpms}
spec: {type: rpm, sites: [store-001]}
`,
    });
    const { startController } = await import('../../src/controller/controller.js');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dataDir = mkdtempSync(join(tmpdir(), 'ferry-signing-'));
    harness.dirs.push(dataDir);
    site = await startController({ config: { site: 'store-001', topology: { url: repo.dir, ref: 'main', path: 'topology', pollInterval: '1h' }, dataDir, listen: `127.0.0.1:${port}`, signingKey: { secretRef: { env: envName } } }, jitterMaxMs: 0 });
    harness.controllers.push(site);
  });
  afterAll(async () => {
    await harness.stopAll();
    repo?.cleanup();
    delete process.env[envName];
  });

  it.each([['debs/debian'], ['rpms/rpm']])('%s publishes the configured key', async (path) => {
    const armored = await (await fetch(`${site.url}/feeds/${path}/key.asc`)).text();
    expect((await openpgp.readKey({ armoredKey: armored })).getFingerprint().toUpperCase()).toBe(fingerprint);
    expect(armored).not.toContain('PRIVATE KEY');
  });
});
