/**
 * `ferry plan --site NAME [DIR] [--format text|json]`: what the controller of one site will do.
 * Exit 0 with the plan; 1 when the topology is invalid (issues printed like `ferry validate`);
 * 2 on usage / I/O errors and when the site does not exist (with a "did you mean").
 * Also exports the load-and-report step `ferry graph` shares.
 */
import { Option, type Command } from 'commander';
import type { CliIO } from '../io.js';
import { ExitCode } from '../exit-codes.js';
import type { RegisterCommand, SetExitCode } from './index.js';
import { errorMessage, isFerryError } from '../../errors/index.js';
import { loadTopologyDir, type Topology } from '../../topology/index.js';
import { formatIssueText, summarize } from './validate.js';
import { PlanErrorCode, planForSite, renderPlanText } from '../../plan/index.js';

export type Loaded = { ok: true; topology: Topology } | { ok: false; exitCode: number };

/**
 * Loads DIR; prints warnings (and, when invalid, every issue) to stderr. Invalid → exit 1,
 * unreadable directory → exit 2.
 */
export async function loadForCommand(command: string, dir: string, io: CliIO): Promise<Loaded> {
  let result;
  try {
    result = await loadTopologyDir(dir);
  } catch (err) {
    io.stderr.write(`ferry ${command}: ${errorMessage(err)}${isFerryError(err) ? ` [${err.code}]` : ''}\n`);
    return { ok: false, exitCode: ExitCode.usage };
  }
  // Issues go to stderr, in `ferry validate`'s format, so stdout stays the plan / graph alone.
  for (const issue of result.issues) io.stderr.write(`${formatIssueText(issue)}\n`);
  if (!result.valid) {
    io.stderr.write(`ferry ${command}: the topology in ${dir} is ${summarize(result.issues)}; fix it first (ferry validate)\n`);
    return { ok: false, exitCode: ExitCode.failed };
  }
  return { ok: true, topology: result.topology };
}

interface PlanOptions {
  site: string;
  format: 'text' | 'json';
}

async function runPlan(dir: string, opts: PlanOptions, io: CliIO): Promise<number> {
  const loaded = await loadForCommand('plan', dir, io);
  if (!loaded.ok) return loaded.exitCode;
  try {
    const plan = planForSite(loaded.topology, opts.site);
    io.stdout.write(opts.format === 'json' ? `${JSON.stringify(plan, null, 2)}\n` : renderPlanText(plan));
    return ExitCode.ok;
  } catch (err) {
    if (!isFerryError(err, PlanErrorCode.siteNotFound)) throw err;
    io.stderr.write(`ferry plan: ${errorMessage(err)} [${err.code}]\n`);
    return ExitCode.usage;
  }
}

export const register: RegisterCommand = (program: Command, io: CliIO, setExitCode: SetExitCode) => {
  program
    .command('plan')
    .description("print one site's slice of the topology: feeds it hosts, replications it runs, incoming rules")
    .argument('[dir]', 'topology directory', '.')
    .requiredOption('--site <name>', 'the site to plan')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (dir: string, opts: PlanOptions) => setExitCode(await runPlan(dir, opts, io)));
};
