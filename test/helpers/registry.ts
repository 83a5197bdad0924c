/**
 * Starts a real CNCF distribution registry (Debian's `docker-registry`) on 127.0.0.1:0 for a test.
 * Fails loudly (never skips) when the binary is missing: `.ci/run` installs it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunningRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

export interface StartRegistryOptions {
  /** htpasswd file (bcrypt, `htpasswd -B`) to require Basic auth. */
  htpasswd?: string;
  /** Make it a pull-through cache of this URL. */
  proxyRemoteUrl?: string;
}

export async function startRegistry(options: StartRegistryOptions = {}): Promise<RunningRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-registry-'));
  const dataDir = join(dir, 'data');
  const lines = [
    'version: 0.1',
    'log: {level: info, accesslog: {disabled: true}}',
    `storage: {filesystem: {rootdirectory: ${JSON.stringify(dataDir)}}, delete: {enabled: true}}`,
    'http: {addr: "127.0.0.1:0"}',
  ];
  if (options.htpasswd) lines.push(`auth: {htpasswd: {realm: ferry-test, path: ${JSON.stringify(options.htpasswd)}}}`);
  if (options.proxyRemoteUrl) lines.push(`proxy: {remoteurl: ${JSON.stringify(options.proxyRemoteUrl)}}`);
  const config = join(dir, 'registry.yml');
  await writeFile(config, lines.join('\n') + '\n');

  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  const host = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`docker-registry did not start within 15s: ${output}`)), 15_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening on (127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start docker-registry (is it installed? .ci/run installs it): ${err.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`docker-registry exited with ${code}: ${output}`));
    });
  });
  child.stdout?.resume();
  child.stderr?.resume();

  return {
    host,
    url: `http://${host}`,
    dataDir,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
