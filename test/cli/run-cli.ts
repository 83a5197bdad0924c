/**
 * Test helpers for the CLI: `runInProcess` registers only the commands under test on a fresh
 * commander program (fast, isolated from other commands' imports); `runSpawned` runs the real
 * `bin/ferry.js` (needs `npm run build`, which `npm test` does first).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import type { RegisterCommand } from '../../src/cli/commands/index.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const examplesDir = path.join(repoRoot, 'examples');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function sink(chunks: string[]): Writable {
  return new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
}

export async function runInProcess(registers: RegisterCommand[], argv: string[]): Promise<RunResult> {
  const out: string[] = [];
  const err: string[] = [];
  const io = { stdout: sink(out), stderr: sink(err) };
  let code = 0;
  const program = new Command('ferry').exitOverride().configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => err.push(s) });
  for (const register of registers) register(program, io, (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    code = e.exitCode === 0 ? 0 : 2;
  }
  return { code, stdout: out.join(''), stderr: err.join('') };
}

export async function runSpawned(argv: string[], options: { cwd?: string } = {}): Promise<RunResult> {
  const bin = path.join(repoRoot, 'bin', 'ferry.js');
  if (!existsSync(path.join(repoRoot, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...argv], { cwd: options.cwd ?? repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}
