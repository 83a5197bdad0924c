/**
 * Builds real, signed test RPMs with `rpmbuild` (noarch spec) and `rpmsign` (a throwaway
 * GNUPGHOME key), and runs the reference `createrepo_c`. The tools must be installed
 * (scripts/install-test-deps.sh): a missing tool fails the test, it never skips it.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile, readFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';

const run = promisify(execFile);

export interface RpmSpec {
  name: string;
  version: string;
  release?: string;
  epoch?: number;
  requires?: string[];
  provides?: string[];
  /** Extra file under /usr/share/<name>/ of roughly this many bytes. */
  payloadBytes?: number;
  /** rpmbuild's automatic requires/provides (default on; off for packages dnf installs into an empty root). */
  autoReqProv?: boolean;
  /** Build the source package (`rpmbuild -bs`, a `.src.rpm`) instead of the binary one. */
  source?: boolean;
}

export interface RpmWorkspace {
  dir: string;
  gnupgHome: string;
  /** ASCII-armoured public key of the signing key. */
  publicKey: string;
  build(spec: RpmSpec): Promise<string>;
  cleanup(): Promise<void>;
}

export async function createRpmWorkspace(): Promise<RpmWorkspace> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-rpm-'));
  const gnupgHome = join(dir, 'gnupg');
  await mkdir(gnupgHome, { mode: 0o700 });
  const env = { ...process.env, GNUPGHOME: gnupgHome };
  await run('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', 'Ferry Test <rpm@example.invalid>', 'rsa2048', 'sign', 'never'], { env });
  const { stdout: publicKey } = await run('gpg', ['--armor', '--export', 'Ferry Test'], { env });
  let n = 0;
  return {
    dir,
    gnupgHome,
    publicKey,
    async build(spec) {
      const top = join(dir, `top${n++}`);
      const specFile = join(dir, `${spec.name}-${n}.spec`);
      await writeFile(specFile, specText(spec));
      await run('rpmbuild', ['--define', `_topdir ${top}`, spec.source ? '-bs' : '-bb', specFile], { env, maxBuffer: 16 * 1024 * 1024 });
      const rpmDir = spec.source ? join(top, 'SRPMS') : join(top, 'RPMS', 'noarch');
      const [file] = await readdir(rpmDir);
      if (!file) throw new Error('rpmbuild produced no package');
      const path = join(rpmDir, file);
      await run(
        'rpmsign',
        ['--define', '_gpg_name Ferry Test', '--define', '__gpg /usr/bin/gpg', '--define', "_gpg_sign_cmd_extra_args --batch --pinentry-mode loopback --passphrase ''", '--addsign', path],
        { env },
      );
      return path;
    },
    async cleanup() {
      // Stop the agent gpg started for this GNUPGHOME before removing it.
      await run('gpgconf', ['--homedir', gnupgHome, '--kill', 'gpg-agent']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function specText(s: RpmSpec): string {
  const lines = [
    `Name: ${s.name}`,
    `Version: ${s.version}`,
    `Release: ${s.release ?? '1'}`,
    ...(s.epoch !== undefined ? [`Epoch: ${s.epoch}`] : []),
    `Summary: Test package ${s.name} & <friends>`,
    'License: MIT',
    'URL: https://example.invalid/ferry',
    'BuildArch: noarch',
    ...(s.autoReqProv === false ? ['AutoReqProv: no'] : []),
    ...(s.requires ?? []).map((r) => `Requires: ${r}`),
    ...(s.provides ?? []).map((p) => `Provides: ${p}`),
    '%description',
    `Test package ${s.name} for ferry.`,
    '%install',
    `mkdir -p %{buildroot}/usr/bin %{buildroot}/etc/${s.name} %{buildroot}/usr/share/${s.name}`,
    `printf '#!/bin/sh\\necho ${s.name}\\n' > %{buildroot}/usr/bin/${s.name}`,
    `chmod 755 %{buildroot}/usr/bin/${s.name}`,
    `echo conf > %{buildroot}/etc/${s.name}/${s.name}.conf`,
    `head -c ${s.payloadBytes ?? 64} /dev/urandom > %{buildroot}/usr/share/${s.name}/data.bin`,
    '%files',
    `/usr/bin/${s.name}`,
    `%dir /etc/${s.name}`,
    `/etc/${s.name}/${s.name}.conf`,
    `/usr/share/${s.name}`,
    '%changelog',
    `* Mon Nov 23 2026 Tester <t@example.invalid> - ${s.version}-1`,
    '- first release',
    '',
  ];
  return lines.join('\n');
}

/** Runs createrepo_c over copies of `rpms` and returns its uncompressed primary/filelists/other XML. */
export async function createrepoReference(rpms: string[], dir: string): Promise<{ primary: string; filelists: string; other: string }> {
  const repo = join(dir, `createrepo-${Date.now()}`);
  await mkdir(join(repo, 'Packages'), { recursive: true });
  for (const rpm of rpms) await copyFile(rpm, join(repo, 'Packages', rpm.split('/').pop()!));
  await run('createrepo_c', ['--no-database', repo]);
  const files = await readdir(join(repo, 'repodata'));
  const read = async (kind: string): Promise<string> => {
    const f = files.find((x) => x.endsWith(`-${kind}.xml.gz`));
    if (!f) throw new Error(`createrepo_c wrote no ${kind}`);
    return gunzipSync(await readFile(join(repo, 'repodata', f))).toString('utf8');
  };
  return { primary: await read('primary'), filelists: await read('filelists'), other: await read('other') };
}
