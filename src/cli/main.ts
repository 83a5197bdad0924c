/**
 * The `ferry` command line. Each command lives in `commands/<name>.ts` and exports
 * `register(program, io)`; a command's action returns its exit code (see exit-codes.ts) and
 * never calls `process.exit` itself, so a running controller can shut down cleanly.
 */
import { Command, CommanderError } from 'commander';
import { ExitCode } from './exit-codes.js';
import { processIO, type CliIO } from './io.js';
import { errorMessage, isFerryError } from '../errors/index.js';
import { commands } from './commands/index.js';

export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const program = new Command('ferry')
    .description('GitOps-driven replication of OCI images, packages and files from hubs to edge sites')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .showHelpAfterError();

  for (const register of commands) {
    register(program, io, (code) => {
      exitCode = code;
    });
  }

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help / --version exit with 0; everything else commander rejects is a usage error.
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    const code = isFerryError(err) ? ` [${err.code}]` : '';
    io.stderr.write(`ferry: ${errorMessage(err)}${code}\n`);
    return isFerryError(err) && err.code === 'USAGE' ? ExitCode.usage : ExitCode.failed;
  }
  return exitCode;
}
