/**
 * Builds real .deb files with `dpkg-deb --build` for the debian feed tests, and runs the real
 * APT client against a ferry feed without touching the machine's APT setup (PEERS.md options).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const run = promisify(execFile);

export interface DebSpec {
  name: string;
  version: string;
  arch?: string;
  compression?: 'gzip' | 'xz' | 'zstd' | 'none';
  depends?: string;
  extraFields?: string;
}

/** Builds `<dir>/<name>_<version>_<arch>.deb` and returns its path. */
export async function buildDeb(dir: string, spec: DebSpec): Promise<string> {
  const arch = spec.arch ?? 'all';
  const root = join(dir, `src-${spec.name}-${spec.version}-${arch}`.replace(/[:~]/g, '_'));
  await mkdir(join(root, 'DEBIAN'), { recursive: true });
  await mkdir(join(root, 'usr/share/doc', spec.name), { recursive: true });
  await writeFile(join(root, 'usr/share/doc', spec.name, 'README'), `${spec.name} ${spec.version}\n`);
  const control = [
    `Package: ${spec.name}`,
    `Version: ${spec.version}`,
    'Section: misc',
    'Priority: optional',
    `Architecture: ${arch}`,
    'Maintainer: Ferry Test <test@example.invalid>',
    ...(spec.depends ? [`Depends: ${spec.depends}`] : []),
    ...(spec.extraFields ? [spec.extraFields] : []),
    `Description: ${spec.name} test package`,
    ' A package built by the ferry test-suite.',
    ' .',
    ' Second paragraph.',
  ].join('\n');
  await writeFile(join(root, 'DEBIAN/control'), control + '\n');
  const out = join(dir, `${spec.name}_${spec.version.replace(/^\d+:/, '')}_${arch}.deb`);
  await run('dpkg-deb', [`-Z${spec.compression ?? 'xz'}`, '--root-owner-group', '--build', root, out]);
  return out;
}

/** APT options that keep every file of the client under `dir` (PEERS.md). */
export function aptOptions(dir: string): string[] {
  return [
    '-o', `Dir::Etc::SourceList=${join(dir, 'sources.list')}`,
    '-o', 'Dir::Etc::SourceParts=/dev/null',
    '-o', `Dir::Etc::netrc=${join(dir, 'auth.conf')}`,
    '-o', `Dir::State::Lists=${join(dir, 'lists')}`,
    '-o', `Dir::Cache=${join(dir, 'cache')}`,
    '-o', 'APT::Sandbox::User=root',
    '-o', 'Debug::NoLocking=1',
    '-o', 'APT::Architecture=amd64',
    '-o', 'Acquire::Languages=none',
  ];
}

/** Creates the client's directories, sources.list and auth.conf. */
export async function setupApt(dir: string, sourcesLine: string, host: string, token: string): Promise<void> {
  await mkdir(join(dir, 'lists/partial'), { recursive: true });
  await mkdir(join(dir, 'cache/archives/partial'), { recursive: true });
  await writeFile(join(dir, 'sources.list'), sourcesLine + '\n');
  await writeFile(join(dir, 'auth.conf'), `machine http://${host}\nlogin ferry\npassword ${token}\n`, { mode: 0o600 });
}

/** Runs apt-get / apt-cache; never throws, returns exit code and output. */
export async function apt(cmd: 'apt-get' | 'apt-cache', dir: string, args: string[], cwd?: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(cmd, [...aptOptions(dir), ...args], { cwd: cwd ?? dir, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, output: (e.stdout ?? '') + (e.stderr ?? '') };
  }
}

/** `gpg --dearmor` of an armored key file into `out`, with a throwaway GNUPGHOME (never ~/.gnupg). */
export async function dearmor(armoredFile: string, out: string): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'ferry-gnupg-'));
  try {
    await run('gpg', ['--homedir', home, '--batch', '--yes', '--dearmor', '-o', out, armoredFile]);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
