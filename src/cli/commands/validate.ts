/**
 * `ferry validate [DIR] [--format text|json|github] [--config site.yaml]`: the CI check of a
 * topology (and, optionally, of a site config file). Prints every issue, not only the first.
 * Exit 0 valid (warnings allowed), 1 invalid, 2 usage or I/O error (missing directory).
 */
import { readFile } from 'node:fs/promises';
import { Option } from 'commander';
import type { CliIO } from '../io.js';
import { ExitCode } from '../exit-codes.js';
import type { RegisterCommand } from './index.js';
import { errorMessage, isFerryError } from '../../errors/index.js';
import { loadTopologyDir, validateSiteConfig, type ValidationIssue } from '../../topology/index.js';

export const ValidateFormats = ['text', 'json', 'github'] as const;
export type ValidateFormat = (typeof ValidateFormats)[number];

interface ValidateOptions {
  format: ValidateFormat;
  config?: string;
  prefix?: string;
}

/** `file:line:col: error|warning CODE message` */
export function formatIssueText(issue: ValidationIssue): string {
  return `${issue.file}:${issue.line}:${issue.column}: ${issue.severity} ${issue.code} ${oneLine(issue.message)}`;
}

/** A GitHub Actions workflow command (`::error file=…,line=…,col=…,title=CODE::message`). */
export function formatIssueGithub(issue: ValidationIssue): string {
  const props = [`file=${escapeProperty(issue.file)}`, `line=${issue.line}`, `col=${issue.column}`, `title=${escapeProperty(issue.code)}`];
  return `::${issue.severity} ${props.join(',')}::${escapeData(issue.message)}`;
}

/** Escaping of workflow command data (actions/toolkit `escapeData`). */
function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escaping of workflow command properties (actions/toolkit `escapeProperty`). */
function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ');
}

export function summarize(issues: ValidationIssue[]): string {
  const errors = issues.filter((i) => i.severity === 'error').length;
  const warnings = issues.length - errors;
  const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;
  return `${errors === 0 ? 'valid' : 'invalid'}: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
}

async function collect(dir: string | undefined, opts: ValidateOptions, io: CliIO): Promise<{ issues: ValidationIssue[]; resources: number } | number> {
  const issues: ValidationIssue[] = [];
  let resources = 0;
  let knownSites: Set<string> | undefined;
  if (dir !== undefined) {
    try {
      const result = await loadTopologyDir(dir);
      issues.push(...result.issues);
      const t = result.topology;
      resources = t.sites.length + t.feeds.length + t.upstreams.length + t.replications.length;
      // The config's `site` is checked against the topology only when the topology is whole.
      if (result.valid) knownSites = new Set(t.sites.map((s) => s.metadata.name));
    } catch (err) {
      io.stderr.write(`ferry validate: ${errorMessage(err)}${isFerryError(err) ? ` [${err.code}]` : ''}\n`);
      return ExitCode.usage;
    }
  }
  if (opts.config !== undefined) {
    let content: Buffer;
    try {
      content = await readFile(opts.config);
    } catch (err) {
      io.stderr.write(`ferry validate: cannot read config ${opts.config}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)} [IO_ERROR]\n`);
      return ExitCode.usage;
    }
    issues.push(...validateSiteConfig(opts.config, content, { knownSites }).issues);
  }
  return { issues, resources };
}

async function runValidate(dirArg: string | undefined, opts: ValidateOptions, io: CliIO): Promise<number> {
  // Without --config the topology directory defaults to "."; with it, only what was named.
  const dir = dirArg ?? (opts.config === undefined ? '.' : undefined);
  const collected = await collect(dir, opts, io);
  if (typeof collected === 'number') return collected;
  const prefix = opts.prefix ? opts.prefix.replace(/\/+$/, '') + '/' : '';
  const issues = collected.issues.map((i) => (prefix && i.file !== opts.config ? { ...i, file: prefix + i.file } : i));
  const valid = !issues.some((i) => i.severity === 'error');
  // `ferry validate | head` closes the pipe early: that is not a failure of the validation.
  io.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
  let out: string;
  if (opts.format === 'json') {
    const rows = issues.map(({ severity, code, message, file, line, column, path }) => ({ severity, code, message, file, line, column, path }));
    out = `${JSON.stringify(rows, null, 2)}\n`;
  } else if (opts.format === 'github') {
    out = issues.map((i) => `${formatIssueGithub(i)}\n`).join('');
    io.stderr.write(`ferry validate: ${summarize(issues)}\n`);
  } else {
    const where = dir !== undefined ? ` (${collected.resources} resources in ${dir})` : '';
    out = issues.map((i) => `${formatIssueText(i)}\n`).join('') + `${summarize(issues)}${where}\n`;
  }
  io.stdout.write(out);
  return valid ? ExitCode.ok : ExitCode.failed;
}

export const register: RegisterCommand = (program, io, setExitCode) => {
  program
    .command('validate')
    .description('validate a topology directory (schema + semantic checks); exit 0 valid, 1 invalid, 2 usage/I/O error')
    .argument('[dir]', 'topology directory (default: current directory)')
    .addOption(new Option('--format <format>', 'output format').choices([...ValidateFormats]).default('text'))
    .option('--config <file>', 'also validate a site config file (ferry controller --config); with DIR its `site` must be in the topology; alone, validates only it')
    .option('--prefix <path>', 'prefix for file names in the output (e.g. the directory relative to the repository root, for annotations)')
    .action(async (dir: string | undefined, opts: ValidateOptions) => {
      setExitCode(await runValidate(dir, opts, io));
    });
};
