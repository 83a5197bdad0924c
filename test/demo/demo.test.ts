/**
 * The README's main command, `ferry demo`, spawned as a newcomer would run it (after the build):
 * a hub and two stores from examples/hub-and-spoke, a sample image and file replicated.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const run = promisify(execFile);

describe('ferry demo', () => {
  it('shows the image and the file arriving at both stores', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-demo-test-'));
    try {
      const { stdout } = await run(process.execPath, ['bin/ferry.js', 'demo', '--dir', dir], { timeout: 90_000 });
      expect(stdout).toMatch(/store-001: image arrived, same digest; file arrived, same sha256/);
      expect(stdout).toMatch(/store-002: image arrived, same digest; file arrived, same sha256/);
      expect(stdout).toMatch(/containers-to-stores \[pull\] containers → store-containers: Ready=True/);
      expect(stdout).toContain('Replication works');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
