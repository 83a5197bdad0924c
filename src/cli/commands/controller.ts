/**
 * `ferry controller --config site.yaml [overrides]`: runs this site's controller in the
 * foreground until SIGTERM/SIGINT, then shuts down cleanly (in-flight runs are recorded and
 * resume from their cursors next time). Every config field can be overridden by a flag or a
 * `FERRY_*` environment variable (see src/controller/config.ts).
 */
import type { RegisterCommand } from './index.js';
import { ExitCode } from '../exit-codes.js';
import { createLogger } from '../../log/index.js';
import type { ConfigOverrides } from '../../controller/config.js';
import { errorMessage } from '../../errors/index.js';

interface ControllerFlags extends ConfigOverrides {
  config?: string;
}

export const register: RegisterCommand = (program, io, setExitCode) => {
  program
    .command('controller')
    .description("run this site's controller: GitOps loop, replication jobs and the site's server")
    .option('-c, --config <file>', 'site config file (site.yaml)')
    .option('--site <name>', 'which Site of the topology this controller is (FERRY_SITE)')
    .option('--topology-url <url>', 'Git URL or local path of the topology repository (FERRY_TOPOLOGY_URL)')
    .option('--topology-ref <ref>', 'branch, tag or commit to follow (FERRY_TOPOLOGY_REF)')
    .option('--topology-path <dir>', 'topology directory inside the repository (FERRY_TOPOLOGY_PATH)')
    .option('--poll-interval <duration>', 'how often to fetch, e.g. 60s (FERRY_POLL_INTERVAL)')
    .option('--data-dir <dir>', 'store, state database and partial downloads (FERRY_DATA_DIR)')
    .option('--listen <host:port>', 'address to serve on (FERRY_LISTEN)')
    .option('--tls-cert <file>', 'PEM certificate chain (FERRY_TLS_CERT)')
    .option('--tls-key <file>', 'PEM private key (FERRY_TLS_KEY)')
    .option('--log-level <level>', 'trace|debug|info|warn|error (FERRY_LOG_LEVEL)')
    .action(async (flags: ControllerFlags) => {
      // Loaded here, not at the top: every other command starts without the controller's modules.
      const { loadSiteConfig } = await import('../../controller/config.js');
      const { startController } = await import('../../controller/controller.js');
      const { config: file, ...overrides } = flags;
      let loaded;
      try {
        loaded = await loadSiteConfig({ ...(file ? { file } : {}), flags: overrides });
      } catch (err) {
        io.stderr.write(`ferry controller: ${errorMessage(err)}\n`);
        return setExitCode(ExitCode.usage);
      }
      const log = createLogger({ level: loaded.config.logLevel ?? 'info', destination: io.stdout });
      const controller = await startController({ config: loaded.config, log });
      io.stderr.write(`ferry controller: site ${controller.site} listening on ${controller.url}\n`);
      await new Promise<void>((resolve) => {
        const shutdown = (signal: string): void => {
          log.info({ signal }, 'shutting down');
          controller.stop().then(resolve, (err: unknown) => {
            log.error({ err: errorMessage(err) }, 'shutdown failed');
            resolve();
          });
        };
        process.once('SIGTERM', () => shutdown('SIGTERM'));
        process.once('SIGINT', () => shutdown('SIGINT'));
      });
      setExitCode(ExitCode.ok);
    });
};
