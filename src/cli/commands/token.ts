/**
 * `ferry token new [--name N] [--access read|write] [--feeds GLOB,…] [--format text|json]`
 *
 * Prints a fresh sync token, its sha256 for `incoming[].tokenSha256`, a ready `incoming:` entry
 * for the accepting Site and the environment line for the connecting side. The token is a secret:
 * it goes to stdout only (never stderr, never a log) and is shown once; ferry keeps no copy.
 */
import { Option, type Command } from 'commander';
import type { CliIO } from '../io.js';
import { ExitCode } from '../exit-codes.js';
import type { RegisterCommand, SetExitCode } from './index.js';
import { generateToken, hashToken } from '../../util/index.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

interface TokenNewOptions {
  name: string;
  access: 'read' | 'write';
  feeds: string;
  env?: string;
  format: 'text' | 'json';
}

/** Everything `token new` prints, in one value (the JSON output is exactly this). */
export interface NewTokenOutput {
  token: string;
  sha256: string;
  env: string;
  incoming: { name: string; tokenSha256: string; access: 'read' | 'write'; feeds: string[] };
}

/** Default environment variable for a rule name: `FERRY_TOKEN_` + the name in upper snake case. */
export function tokenEnvName(name: string): string {
  return `FERRY_TOKEN_${name.toUpperCase().replace(/-/g, '_')}`;
}

export function newTokenOutput(options: { name: string; access: 'read' | 'write'; feeds: string[]; env?: string }): NewTokenOutput {
  const token = generateToken();
  const sha256 = hashToken(token);
  return {
    token,
    sha256,
    env: options.env ?? tokenEnvName(options.name),
    incoming: { name: options.name, tokenSha256: sha256, access: options.access, feeds: options.feeds },
  };
}

function renderText(out: NewTokenOutput): string {
  const feeds = out.incoming.feeds.map((f) => JSON.stringify(f)).join(', ');
  return [
    'Sync token (a secret: store it on the connecting side only; it is not shown again):',
    `  ${out.token}`,
    '',
    'sha256 (safe to commit):',
    `  ${out.sha256}`,
    '',
    'Add to the accepting Site (spec.incoming):',
    '  incoming:',
    `    - name: ${out.incoming.name}`,
    `      tokenSha256: ${out.sha256}`,
    `      access: ${out.incoming.access}`,
    `      feeds: [${feeds}]`,
    '',
    'On the connecting site, set the environment variable and reference it from the Replication',
    `(token: {secretRef: {env: ${out.env}}}):`,
    `  ${out.env}=${out.token}`,
    '',
  ].join('\n');
}

function parseOptions(opts: TokenNewOptions, io: CliIO): { feeds: string[] } | undefined {
  if (!DNS_LABEL.test(opts.name)) {
    io.stderr.write(`ferry token new: --name must be a DNS label (lowercase letters, digits, '-'), got ${JSON.stringify(opts.name)}\n`);
    return undefined;
  }
  if (opts.env !== undefined && !ENV_NAME.test(opts.env)) {
    io.stderr.write('ferry token new: --env must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)\n');
    return undefined;
  }
  const feeds = opts.feeds.split(',').map((f) => f.trim()).filter((f) => f !== '');
  if (feeds.length === 0) {
    io.stderr.write('ferry token new: --feeds needs at least one feed glob\n');
    return undefined;
  }
  return { feeds };
}

function runTokenNew(opts: TokenNewOptions, io: CliIO, setExitCode: SetExitCode): void {
  const parsed = parseOptions(opts, io);
  if (parsed === undefined) {
    setExitCode(ExitCode.usage);
    return;
  }
  const out = newTokenOutput({ name: opts.name, access: opts.access, feeds: parsed.feeds, ...(opts.env ? { env: opts.env } : {}) });
  io.stdout.write(opts.format === 'json' ? `${JSON.stringify(out, null, 2)}\n` : renderText(out));
  setExitCode(ExitCode.ok);
}

export const register: RegisterCommand = (program: Command, io: CliIO, setExitCode: SetExitCode) => {
  const token = program.command('token').description('sync tokens for incoming rules');
  token
    .command('new')
    .description('print a fresh sync token, its sha256 and a ready incoming: entry')
    .option('--name <name>', 'name of the incoming rule (a DNS label)', 'sync')
    .addOption(new Option('--access <access>', 'access the token grants').choices(['read', 'write']).default('read'))
    .option('--feeds <globs>', 'comma-separated feed-name globs the token opens', '*')
    .option('--env <NAME>', 'environment variable for the connecting side (default FERRY_TOKEN_<NAME>)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action((opts: TokenNewOptions) => runTokenNew(opts, io, setExitCode));
};
