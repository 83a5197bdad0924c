/**
 * Runs real site controllers in the test process, on 127.0.0.1 ports reserved up front (site
 * URLs must be in the topology before the controllers start), against a real Git repository.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startController, type ControllerOptions, type RunningController } from '../../src/controller/controller.js';
import { generateToken, hashToken } from '../../src/util/token.js';
import { freeLoopbackPort } from '../../src/util/free-port.js';
import type { SiteConfig } from '../../src/topology/index.js';

/** A free loopback port (reserved by listening on 0, then released). */
export const freePort = freeLoopbackPort;

export interface TestToken {
  token: string;
  sha256: string;
}

export function newToken(): TestToken {
  const token = generateToken();
  return { token, sha256: hashToken(token) };
}

export interface SiteHarness {
  controllers: RunningController[];
  dirs: string[];
  start(site: string, port: number, topologyUrl: string, extra?: Partial<ControllerOptions>, pollInterval?: string): Promise<RunningController>;
  stopAll(): Promise<void>;
}

export function siteHarness(): SiteHarness {
  const harness: SiteHarness = {
    controllers: [],
    dirs: [],
    async start(site, port, topologyUrl, extra = {}, pollInterval = '1h') {
      const dataDir = mkdtempSync(join(tmpdir(), `ferry-${site}-`));
      harness.dirs.push(dataDir);
      const config: SiteConfig = { site, topology: { url: topologyUrl, ref: 'main', path: 'topology', pollInterval }, dataDir, listen: `127.0.0.1:${port}` };
      const controller = await startController({ config, jitterMaxMs: 0, runBaseDelayMs: 50, runMaxAttempts: 2, runDeadlineMs: 30_000, ...extra });
      harness.controllers.push(controller);
      return controller;
    },
    async stopAll() {
      for (const c of harness.controllers.splice(0)) await c.stop();
      for (const d of harness.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    },
  };
  return harness;
}

/**
 * A hub Site document for test topologies: reachable on `port`, accepting `read` for pulls and
 * `write` for publishers on every feed.
 */
export function hubSiteYaml(name: string, port: number, read: TestToken, write: TestToken, labels = ''): string {
  return `apiVersion: ferry/v1
kind: Site
metadata: {name: ${name}${labels ? `, labels: {${labels}}` : ''}}
spec:
  url: http://127.0.0.1:${port}
  incoming:
    - {name: readers, tokenSha256: ${read.sha256}, access: read, feeds: ["*"]}
    - {name: publisher, tokenSha256: ${write.sha256}, access: write, feeds: ["*"]}
`;
}
