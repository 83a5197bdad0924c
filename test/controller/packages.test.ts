/**
 * Issue "Package feeds", replication acceptance: a .deb, an .rpm, a .nupkg and a file published
 * at a hub reach a spoke through the topology (pull, with feed name mapping) and install there
 * with the real clients (apt-get, dnf with gpgcheck, nuget 2.8, curl). A package deleted at the
 * hub disappears at the spoke only where the replication says `deletes: propagate`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopologyRepo, type TopologyRepo } from '../helpers/topology-repo.js';
import { freePort, newToken, siteHarness } from '../helpers/controllers.js';
import { apt, buildDeb, dearmor, run, setupApt } from '../feeds/debian-fixtures.js';
import { createRpmWorkspace, type RpmWorkspace } from '../feeds/rpm-fixtures.js';
import { makeNupkg, nuget } from '../feeds/chocolatey-fixtures.js';
import type { RunningController } from '../../src/controller/controller.js';

const read = newToken();
const write = newToken();
const tokenEnv = `FERRY_PKG_TOKEN_${process.pid}`;
const feeds = [
  { hub: 'debs', spoke: 'store-debs', type: 'debian', deletes: 'propagate' },
  { hub: 'rpms', spoke: 'store-rpms', type: 'rpm', deletes: 'keep' },
  { hub: 'choco', spoke: 'store-choco', type: 'chocolatey', deletes: 'propagate' },
  { hub: 'files', spoke: 'store-files', type: 'generic', deletes: 'propagate' },
] as const;

function topology(hubPort: number, spokePort: number): string {
  return `apiVersion: ferry/v1
kind: Site
metadata: {name: hub}
spec:
  url: http://127.0.0.1:${hubPort}
  incoming:
    - {name: stores, tokenSha256: ${read.sha256}, access: read, feeds: ["*"]}
    - {name: publisher, tokenSha256: ${write.sha256}, access: write, feeds: ["*"]}
---
apiVersion: ferry/v1
kind: Site
metadata: {name: store-001}
spec: {url: "http://127.0.0.1:${spokePort}", anonymousRead: true}
${feeds.map((f) => `---
apiVersion: ferry/v1
kind: Feed
metadata: {name: ${f.hub}}
spec: {type: ${f.type}, sites: [hub]}
---
apiVersion: ferry/v1
kind: Feed
metadata: {name: ${f.spoke}}
spec: {type: ${f.type}, sites: [store-001]}
---
apiVersion: ferry/v1
kind: Replication
metadata: {name: ${f.hub}-to-store}
spec:
  mode: pull
  source: {site: hub, feed: ${f.hub}}
  target: {sites: [store-001], feed: ${f.spoke}}
  deletes: ${f.deletes}
  token: {secretRef: {env: ${tokenEnv}}}
`).join('')}`;
}

describe('controller: packages replicated hub → spoke and installed with real clients', () => {
  const harness = siteHarness();
  let repo: TopologyRepo;
  let hub: RunningController;
  let spoke: RunningController;
  let work: string;
  let rpm: RpmWorkspace;
  let deb: string;
  const file = Buffer.from('menu of the day\n');
  const auth = { authorization: `Bearer ${write.token}` };

  const syncAll = async (): Promise<void> => {
    for (const f of feeds) expect((await spoke.scheduler.trigger(`${f.hub}-to-store`))?.result).toBe('succeeded');
  };

  beforeAll(async () => {
    const [hubPort, spokePort] = [await freePort(), await freePort()];
    repo = createTopologyRepo();
    repo.commit('packages', { 'topology/all.yaml': topology(hubPort, spokePort) });
    process.env[tokenEnv] = read.token;
    hub = await harness.start('hub', hubPort, repo.dir);
    spoke = await harness.start('store-001', spokePort, repo.dir);
    work = await mkdtemp(join(tmpdir(), 'ferry-pkg-e2e-'));
    rpm = await createRpmWorkspace();

    deb = await buildDeb(work, { name: 'pos-client', version: '1.4-1' });
    const put = (path: string, body: Buffer, headers: Record<string, string> = {}) => fetch(`${hub.url}${path}`, { method: 'PUT', body, headers: { ...auth, ...headers } });
    expect((await put('/feeds/debs/debian/upload', await readFile(deb))).status).toBe(201);
    const rpmFile = await rpm.build({ name: 'pos-agent', version: '2.0', autoReqProv: false });
    expect((await put('/feeds/rpms/rpm/upload', await readFile(rpmFile))).status).toBe(201);
    const form = new FormData();
    form.append('package', new Blob([makeNupkg({ id: 'Pos.Tools', version: '3.1.0' })]), 'package.nupkg');
    expect((await fetch(`${hub.url}/feeds/choco/api/v2/package`, { method: 'PUT', body: form, headers: { 'X-NuGet-ApiKey': write.token } })).status).toBe(201);
    expect((await put('/feeds/files/files/menus/today.txt', file)).status).toBeLessThan(300);
    await syncAll();
  }, 120_000);
  afterAll(async () => {
    await harness.stopAll();
    repo?.cleanup();
    await rpm?.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
    delete process.env[tokenEnv];
  });

  it('apt-get installs the .deb from the spoke, verified with the spoke’s own key', async () => {
    const client = join(work, 'apt');
    await mkdir(client, { recursive: true });
    await writeFile(join(work, 'spoke.asc'), await (await fetch(`${spoke.url}/feeds/store-debs/debian/key.asc`)).text());
    await dearmor(join(work, 'spoke.asc'), join(work, 'spoke.gpg'));
    await setupApt(client, `deb [signed-by=${join(work, 'spoke.gpg')}] ${spoke.url}/feeds/store-debs/debian stable main`, 'no-credentials.invalid', 'unused'); // the spoke allows anonymous reads
    const update = await apt('apt-get', client, ['update']);
    expect(update.output).not.toMatch(/NO_PUBKEY|not signed|W: /);
    expect(update.code).toBe(0);
    expect((await apt('apt-get', client, ['download', 'pos-client=1.4-1'])).code).toBe(0);
    const fetched = await readFile(join(client, 'pos-client_1.4-1_all.deb'));
    expect(createHash('sha256').update(fetched).digest('hex')).toBe(createHash('sha256').update(await readFile(deb)).digest('hex'));
  }, 120_000);

  it('dnf installs the signed .rpm from the spoke (gpgcheck=1)', async () => {
    const d = join(work, 'dnf');
    await mkdir(join(d, 'repos.d'), { recursive: true });
    await writeFile(join(d, 'publisher.asc'), rpm.publicKey);
    await writeFile(join(d, 'dnf.conf'), `[main]\nreposdir=${d}/repos.d\ngpgcheck=1\ninstall_weak_deps=False\n`);
    await writeFile(join(d, 'repos.d', 'ferry.repo'), `[ferry]\nname=store rpms\nbaseurl=${spoke.url}/feeds/store-rpms/rpm/\ngpgcheck=1\ngpgkey=file://${d}/publisher.asc\n`);
    await run('dnf', ['-c', join(d, 'dnf.conf'), '--releasever=12', `--installroot=${d}/root`, `--setopt=cachedir=${d}/cache`, '-y', 'install', 'pos-agent'], { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
    const { stdout } = await run('rpm', ['--root', join(d, 'root'), '-q', 'pos-agent']);
    expect(stdout).toContain('pos-agent-2.0');
  }, 150_000);

  it('nuget installs the .nupkg from the spoke', async () => {
    const d = join(work, 'nuget');
    await mkdir(d, { recursive: true });
    const out = await nuget(['install', 'Pos.Tools', '-Source', `${spoke.url}/feeds/store-choco/api/v2/`, '-OutputDirectory', join(d, 'out'), '-NonInteractive'], d);
    expect(out).toContain("Successfully installed 'Pos.Tools 3.1.0'");
    expect(await readdir(join(d, 'out'))).toEqual(['Pos.Tools.3.1.0']);
  }, 120_000);

  it('curl downloads the file from the spoke', async () => {
    const { stdout } = await run('curl', ['-sS', '--fail', `${spoke.url}/feeds/store-files/files/menus/today.txt`]);
    expect(stdout).toBe(file.toString());
  });

  it('a deleted package disappears at the spoke only with deletes: propagate', async () => {
    expect((await fetch(`${hub.url}/feeds/debs/debian/packages/pos-client/1.4-1/all`, { method: 'DELETE', headers: auth })).status).toBeLessThan(300);
    expect((await fetch(`${hub.url}/feeds/rpms/rpm/Packages/pos-agent-2.0-1.noarch.rpm`, { method: 'DELETE', headers: auth })).status).toBeLessThan(300);
    await syncAll();
    const packages = await (await fetch(`${spoke.url}/feeds/store-debs/debian/dists/stable/main/binary-amd64/Packages`)).text();
    expect(packages).not.toContain('Package: pos-client');
    const repomd = await (await fetch(`${spoke.url}/feeds/store-rpms/rpm/repodata/repomd.xml`)).text();
    expect(repomd).toContain('primary');
    expect((await fetch(`${spoke.url}/feeds/store-rpms/rpm/Packages/pos-agent-2.0-1.noarch.rpm`)).status).toBe(200);
  });
});
