/**
 * `ferry demo [--dir DIR] [--keep]`: runs the hub-and-spoke example locally (see src/demo).
 * Exit 0 when the sample image and file arrived at both stores, 1 otherwise.
 */
import type { RegisterCommand } from './index.js';
import { ExitCode } from '../exit-codes.js';
import { errorMessage } from '../../errors/index.js';

export const register: RegisterCommand = (program, io, setExitCode) => {
  program
    .command('demo')
    .description('run a hub and two store spokes locally from examples/hub-and-spoke and show replication working')
    .option('--dir <dir>', 'working directory (default: a new temporary directory)')
    .option('--keep', 'keep the sites running after the demo (Ctrl-C to stop)')
    .action(async (flags: { dir?: string; keep?: boolean }) => {
      const { runDemo } = await import('../../demo/demo.js'); // loaded on use: see controller.ts
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const result = await runDemo({
          ...(flags.dir ? { dir: flags.dir } : {}),
          keepRunning: flags.keep ?? false,
          signal: stop.signal,
          print: (line) => io.stdout.write(line + '\n'),
        });
        const ok = result.arrived.length > 0 && result.arrived.every((a) => a.image && a.file);
        io.stdout.write(ok ? '\nReplication works: both stores hold the hub\'s image and file.\n' : '\nSomething did not arrive; see the status above.\n');
        setExitCode(ok ? ExitCode.ok : ExitCode.failed);
      } catch (err) {
        io.stderr.write(`ferry demo: ${errorMessage(err)}\n`);
        setExitCode(ExitCode.failed);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
};
