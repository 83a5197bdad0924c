/**
 * A hub fed from an external YUM/DNF repository (`Upstream` of type rpm): RPMs built and signed
 * by rpmbuild + rpmsign, repodata by createrepo_c, repomd.xml signed with
 * `gpg --detach-sign --armor`, served by a static server on loopback. The hub mirrors the
 * selected packages and the real dnf installs one from the hub (gpgcheck=1). Negative cases: a
 * repomd.xml signed by another key, a package whose bytes differ from its primary.xml checksum.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createTopologyRepo, type TopologyRepo } from '../helpers/topology-repo.js';
import { freePort, siteHarness } from '../helpers/controllers.js';
import { createRpmWorkspace, type RpmWorkspace } from './rpm-fixtures.js';
import { createGpgKey, run, upstreamReplicationDoc, serveStatic, tempDir, type StaticServer } from './upstream-fixtures.js';
import type { RunningController } from '../../src/controller/controller.js';


function indent(text: string, spaces: number): string {
  return text.trimEnd().split('\n').map((l) => ' '.repeat(spaces) + l).join('\n');
}

async function publishRpmRepo(dir: string, rpms: string[], env: NodeJS.ProcessEnv, timestamp?: number): Promise<void> {
  await rm(join(dir, 'repodata'), { recursive: true, force: true });
  await mkdir(join(dir, 'Packages'), { recursive: true });
  for (const rpm of rpms) await copyFile(rpm, join(dir, 'Packages', basename(rpm)));
  const stamp = timestamp === undefined ? [] : ['--revision', String(timestamp), '--set-timestamp-to-revision'];
  await run('createrepo_c', ['--no-database', ...stamp, dir]);
  await run('gpg', ['--batch', '--yes', '--detach-sign', '--armor', '-o', join(dir, 'repodata/repomd.xml.asc'), join(dir, 'repodata/repomd.xml')], { env });
}

describe('controller: mirror an external YUM/DNF repository into a hub feed', () => {
  const harness = siteHarness();
  let work: string;
  let root: string;
  let ws: RpmWorkspace;
  let server: StaticServer;
  let repo: TopologyRepo;
  let hub: RunningController;
  const rpms: Record<string, string> = {};
  const packageRequests = (prefix: string): string[] => server.requests.filter((p) => p.startsWith(`/${prefix}/Packages/`));

  beforeAll(async () => {
    work = await tempDir('ferry-upstream-rpm-');
    root = join(work, 'www');
    ws = await createRpmWorkspace();
    const env = { ...process.env, GNUPGHOME: ws.gnupgHome };
    const intruder = await createGpgKey(work, 'intruder');
    rpms['agent-2.0'] = await ws.build({ name: 'pos-agent', version: '2.0', autoReqProv: false });
    rpms['agent-2.1'] = await ws.build({ name: 'pos-agent', version: '2.1', autoReqProv: false });
    rpms['extra'] = await ws.build({ name: 'pos-extra', version: '1.0', autoReqProv: false });
    rpms['other'] = await ws.build({ name: 'other-thing', version: '1.0', autoReqProv: false });
    await publishRpmRepo(join(root, 'good'), Object.values(rpms), env);
    await publishRpmRepo(join(root, 'wrongkey'), [rpms['agent-2.0']!], intruder.env);
    const bad = join(root, 'badpkg');
    await publishRpmRepo(bad, [rpms['agent-2.0']!], env);
    const file = join(bad, 'Packages', basename(rpms['agent-2.0']!));
    const bytes = await readFile(file);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await writeFile(file, bytes);
    server = await serveStatic(root);

    const port = await freePort();
    const upstream = (name: string, path: string): string => `apiVersion: ferry/v1
kind: Upstream
metadata: {name: ${name}}
spec:
  type: rpm
  url: "${server.url}/${path}"
  architectures: [noarch]
  signedBy: |
${indent(ws.publicKey, 4)}
`;
    repo = createTopologyRepo();
    repo.commit('rpm upstreams', {
      'topology/all.yaml': [
        `apiVersion: ferry/v1\nkind: Site\nmetadata: {name: hub}\nspec: {url: "http://127.0.0.1:${port}", anonymousRead: true}\n`,
        upstream('yum-good', 'good'), upstream('yum-wrongkey', 'wrongkey'), upstream('yum-badpkg', 'badpkg'),
        upstreamReplicationDoc('rpm', 'yum-to-hub', 'yum-good', 'mirror-rpms', '  filter: {include: ["pos-*"], semver: ">=2.0.0 || <1.5.0"}\n  deletes: propagate\n'),
        upstreamReplicationDoc('rpm', 'wrongkey-to-hub', 'yum-wrongkey', 'neg-wrongkey'),
        upstreamReplicationDoc('rpm', 'badpkg-to-hub', 'yum-badpkg', 'neg-badpkg'),
      ].join('---\n'),
    });
    hub = await harness.start('hub', port, repo.dir);
  }, 180_000);

  afterAll(async () => {
    await harness.stopAll();
    await server?.close();
    repo?.cleanup();
    await ws?.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('imports the selected packages, verified against the signed repomd.xml', async () => {
    const outcome = await hub.scheduler.trigger('yum-to-hub');
    expect(outcome, JSON.stringify(outcome?.error)).toMatchObject({ result: 'succeeded', items: 3 });
    const names = (await hub.store.tagRecords({ feed: 'mirror-rpms' })).map((t) => `${t.repository}:${t.tag}`).sort();
    expect(names).toEqual(['mirror-rpms/pos-agent:2.0-1.noarch', 'mirror-rpms/pos-agent:2.1-1.noarch', 'mirror-rpms/pos-extra:1.0-1.noarch']);
    expect(packageRequests('good').some((p) => p.includes('other-thing'))).toBe(false);
  });

  it('dnf installs a mirrored package from the hub (gpgcheck=1)', async () => {
    const d = join(work, 'dnf');
    await mkdir(join(d, 'repos.d'), { recursive: true });
    await writeFile(join(d, 'publisher.asc'), ws.publicKey);
    await writeFile(join(d, 'dnf.conf'), `[main]\nreposdir=${d}/repos.d\ngpgcheck=1\ninstall_weak_deps=False\n`);
    await writeFile(join(d, 'repos.d', 'hub.repo'), `[hub]\nname=hub mirror\nbaseurl=${hub.url}/feeds/mirror-rpms/rpm/\ngpgcheck=1\ngpgkey=file://${d}/publisher.asc\n`);
    await run('dnf', ['-c', join(d, 'dnf.conf'), '--releasever=12', `--installroot=${d}/root`, `--setopt=cachedir=${d}/cache`, '-y', 'install', 'pos-agent-2.1'], { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
    const { stdout } = await run('rpm', ['--root', join(d, 'root'), '-q', 'pos-agent']);
    expect(stdout).toContain('pos-agent-2.1-1');
  }, 150_000);

  it('a second run with nothing new downloads no package', async () => {
    const before = packageRequests('good').length;
    expect(await hub.scheduler.trigger('yum-to-hub')).toMatchObject({ result: 'succeeded', items: 0, bytes: 0 });
    expect(packageRequests('good').length).toBe(before);
  });

  it.each([
    ['wrongkey-to-hub', 'neg-wrongkey', 'UPSTREAM_SIGNATURE_INVALID'],
    ['badpkg-to-hub', 'neg-badpkg', 'UPSTREAM_FILE_MISMATCH'],
  ])('%s is refused, nothing stored', async (replication, feed, code) => {
    const outcome = await hub.scheduler.trigger(replication);
    expect(outcome?.result).toBe('failed');
    expect(outcome?.error?.code).toBe(code);
    expect(await hub.store.tagRecords({ feed })).toEqual([]);
  });

  it('a package removed upstream is removed at the hub (deletes: propagate)', async () => {
    const { ['extra']: removed, ...rest } = rpms;
    await rm(join(root, 'good', 'Packages', basename(removed!)));
    await publishRpmRepo(join(root, 'good'), Object.values(rest), { ...process.env, GNUPGHOME: ws.gnupgHome });
    expect((await hub.scheduler.trigger('yum-to-hub'))?.result).toBe('succeeded');
    const names = (await hub.store.tagRecords({ feed: 'mirror-rpms' })).map((t) => t.repository);
    expect(names).not.toContain('mirror-rpms/pos-extra');
    expect(names).toContain('mirror-rpms/pos-agent');
  });

  it('refuses a validly signed repomd.xml older than one already taken (replay)', async () => {
    const env = { ...process.env, GNUPGHOME: ws.gnupgHome };
    await publishRpmRepo(join(root, 'good'), [rpms['agent-2.0']!, rpms['agent-2.1']!], env, Math.floor(Date.now() / 1000) - 86_400);
    const outcome = await hub.scheduler.trigger('yum-to-hub');
    expect(outcome?.error?.code).toBe('UPSTREAM_INDEX_ROLLBACK');
    expect((await hub.store.tagRecords({ feed: 'mirror-rpms' })).map((t) => t.repository)).toContain('mirror-rpms/pos-agent');
  });
});
