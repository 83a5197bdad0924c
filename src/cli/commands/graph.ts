/**
 * `ferry graph [DIR] [--format mermaid|dot] [--group-by LABEL]`: the topology as a picture.
 * Exit 0 with the graph on stdout; 1 when the topology is invalid; 2 on usage / I/O errors.
 */
import { Option, type Command } from 'commander';
import type { CliIO } from '../io.js';
import { ExitCode } from '../exit-codes.js';
import type { RegisterCommand, SetExitCode } from './index.js';
import { buildGraph, renderDot, renderMermaid } from '../../plan/index.js';
import { loadForCommand } from './plan.js';

interface GraphOptions {
  format: 'mermaid' | 'dot';
  groupBy: string;
}

async function runGraph(dir: string, opts: GraphOptions, io: CliIO): Promise<number> {
  const loaded = await loadForCommand('graph', dir, io);
  if (!loaded.ok) return loaded.exitCode;
  const groupBy = opts.groupBy === '' || opts.groupBy === 'none' ? undefined : opts.groupBy;
  const graph = buildGraph(loaded.topology, groupBy === undefined ? {} : { groupBy });
  io.stdout.write(opts.format === 'dot' ? renderDot(graph) : renderMermaid(graph));
  return ExitCode.ok;
}

export const register: RegisterCommand = (program: Command, io: CliIO, setExitCode: SetExitCode) => {
  program
    .command('graph')
    .description('draw the topology: sites as nodes, replications as edges labelled "feed (mode)"')
    .argument('[dir]', 'topology directory', '.')
    .addOption(new Option('--format <format>', 'output format').choices(['mermaid', 'dot']).default('mermaid'))
    .option('--group-by <label>', "site label to group nodes by ('none' for no groups)", 'role')
    .action(async (dir: string, opts: GraphOptions) => setExitCode(await runGraph(dir, opts, io)));
};
