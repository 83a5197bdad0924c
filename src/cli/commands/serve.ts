/**
 * `ferry serve --data DIR --listen ADDR [--incoming FILE] [--anonymous-read] [--tls-cert F --tls-key F]`
 *
 * A standalone ferry registry: the server of src/server over the embedded fs store
 * (`DIR/store`; upload sessions in `DIR/uploads`). OCI feeds are created on the first push by a
 * write token. Incoming rules come from a YAML file (a list shaped like `Site.spec.incoming`)
 * and are reloaded on SIGHUP (an invalid file is logged and the previous rules stay). SIGTERM /
 * SIGINT: stop accepting, let in-flight requests finish (up to 10 s), close the store, exit 0.
 *
 * stdout gets exactly one line, `listening on HOST:PORT`, once the socket is bound (port 0
 * picks a free port); logs (pino JSON) go to stderr.
 */
import type { Command } from 'commander';
import type { CliIO } from '../io.js';
import type { RegisterCommand } from './index.js';

export interface ServeOptions {
  data: string;
  listen: string;
  incoming?: string;
  anonymousRead?: boolean;
  tlsCert?: string;
  tlsKey?: string;
}

export const register: RegisterCommand = (program: Command, io: CliIO, setExitCode) => {
  program
    .command('serve')
    .description('run a standalone ferry registry (OCI distribution API, feeds, change log) over the embedded store')
    .requiredOption('--data <dir>', 'data directory (store in DIR/store, upload sessions in DIR/uploads)')
    .option('--listen <addr>', 'HOST:PORT to listen on (port 0 picks a free port)', '127.0.0.1:5000')
    .option('--incoming <file>', 'YAML list of incoming rules (Site.spec.incoming shape); reloaded on SIGHUP')
    .option('--anonymous-read', 'allow reads without a token')
    .option('--tls-cert <file>', 'TLS certificate (PEM); needs --tls-key')
    .option('--tls-key <file>', 'TLS private key (PEM); needs --tls-cert')
    .action(async (options: ServeOptions) => {
      // The server, store and feed views load on use, so other commands start without them.
      const { serve } = await import('./serve-run.js');
      setExitCode(await serve(options, io));
    });
};

