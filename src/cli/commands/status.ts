/**
 * `ferry status [--url U] [--token-env NAME] [--format text|json]`,
 * `ferry run REPLICATION [--url U] [--no-wait]` and `ferry prune FEED [--url U]`: talk to a
 * running controller's API.
 * The token (if the controller is not on this machine) comes from an environment variable,
 * never from the command line. Exit 1 when a condition is failing (status) or the run failed.
 */
import type { RegisterCommand } from './index.js';
import type { CliIO } from '../io.js';
import { ExitCode } from '../exit-codes.js';
import { errorMessage } from '../../errors/index.js';
import { sanitizeUrl } from '../../util/sanitize-url.js';

interface ClientFlags {
  url: string;
  tokenEnv: string;
  format?: 'text' | 'json';
  wait?: boolean;
}

interface Condition { kind: string; name: string; type: string; status: string; reason: string; message: string; observedCommit?: string }
interface ReplicationView { name: string; mode: string; localFeed: string; remoteFeed: string; running: boolean; lastRun: { result: string; endedAt?: string; items: number; bytes: number; errorCode?: string; peer?: string } | null; lastSuccess: string | null; conditions: Condition[] }
export interface StatusView { site: string; appliedCommit: string | null; rejectedCommit: string | null; conditions: Condition[]; feeds: Array<{ name: string; type: string; retired: boolean }>; replications: ReplicationView[] }

async function call(flags: ClientFlags, method: string, path: string): Promise<{ status: number; body: unknown }> {
  const token = process.env[flags.tokenEnv];
  const url = new URL(path, flags.url);
  let response: Response;
  try {
    response = await fetch(url, { method, headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, signal: AbortSignal.timeout(15 * 60_000) });
  } catch (err) {
    throw new Error(`cannot reach the controller at ${sanitizeUrl(flags.url)}: ${errorMessage((err as { cause?: unknown }).cause ?? err)}`);
  }
  const text = await response.text();
  let body: unknown = text;
  try { body = JSON.parse(text); } catch { /* not JSON: keep the text */ }
  return { status: response.status, body };
}

export function renderStatus(view: StatusView): string {
  const lines = [`site ${view.site}`, `applied commit   ${view.appliedCommit?.slice(0, 12) ?? '(none)'}`];
  if (view.rejectedCommit && view.rejectedCommit !== view.appliedCommit) lines.push(`rejected commit  ${view.rejectedCommit.slice(0, 12)}`);
  lines.push('', 'CONDITIONS');
  for (const c of view.conditions.filter((c) => c.kind === 'Site' || c.kind === 'Feed')) {
    lines.push(`  ${c.kind}/${c.name} ${c.type}=${c.status} ${c.reason}${c.message ? `: ${c.message.split('\n').join('\n      ')}` : ''}`);
  }
  lines.push('', 'FEEDS');
  for (const f of view.feeds) lines.push(`  ${f.name.padEnd(24)} ${f.type.padEnd(11)} ${f.retired ? 'retired' : 'serving'}`);
  lines.push('', 'REPLICATIONS');
  for (const r of view.replications) {
    const ready = r.conditions.find((c) => c.type === 'Ready');
    const failed = r.conditions.find((c) => c.type === 'ReplicationFailed' && c.status === 'True');
    const last = r.lastRun ? `${r.lastRun.result} ${r.lastRun.endedAt ?? ''} (${r.lastRun.items} items, ${r.lastRun.bytes} bytes${r.lastRun.peer ? ` from ${r.lastRun.peer}` : ''})` : 'never ran';
    lines.push(`  ${r.name} [${r.mode}] ${r.remoteFeed} → ${r.localFeed}: Ready=${ready?.status ?? 'Unknown'}${r.running ? ' (running)' : ''}`);
    lines.push(`      last run: ${last}`);
    if (failed && ready?.status !== 'True') lines.push(`      ReplicationFailed: ${failed.reason}: ${failed.message}`);
  }
  return lines.join('\n') + '\n';
}

function isFailing(view: StatusView): boolean {
  return view.conditions.some((c) => (c.type === 'Ready' && c.status === 'False') || (c.type === 'Stalled' && c.status === 'True'));
}

function clientOptions(cmd: import('commander').Command): import('commander').Command {
  return cmd
    .option('--url <url>', 'controller URL', process.env.FERRY_URL ?? 'http://127.0.0.1:8443')
    .option('--token-env <name>', 'environment variable holding a sync token (not needed on the controller machine)', 'FERRY_TOKEN');
}

async function status(flags: ClientFlags, io: CliIO): Promise<number> {
  const { status: code, body } = await call(flags, 'GET', '/api/v1/status');
  if (code !== 200) {
    io.stderr.write(`ferry status: the controller answered ${code}: ${JSON.stringify(body)}\n`);
    return ExitCode.failed;
  }
  const view = body as StatusView;
  io.stdout.write(flags.format === 'json' ? JSON.stringify(view, null, 2) + '\n' : renderStatus(view));
  return isFailing(view) ? ExitCode.failed : ExitCode.ok;
}

export const register: RegisterCommand = (program, io, setExitCode) => {
  clientOptions(program.command('status').description("show a controller's applied commit, conditions, feeds and replications"))
    .option('--format <format>', 'text | json', 'text')
    .action(async (flags: ClientFlags) => {
      try {
        setExitCode(await status(flags, io));
      } catch (err) {
        io.stderr.write(`ferry status: ${errorMessage(err)}\n`);
        setExitCode(ExitCode.usage);
      }
    });

  clientOptions(program.command('prune').argument('<feed>', 'a retired feed').description("delete a retired feed's content on a controller (it must be gone from the topology)"))
    .action(async (feed: string, flags: ClientFlags) => {
      try {
        const { status: code, body } = await call(flags, 'POST', `/api/v1/feeds/${encodeURIComponent(feed)}/prune`);
        io.stdout.write(JSON.stringify(body, null, 2) + '\n');
        setExitCode(code === 200 ? ExitCode.ok : ExitCode.failed);
      } catch (err) {
        io.stderr.write(`ferry prune: ${errorMessage(err)}\n`);
        setExitCode(ExitCode.usage);
      }
    });

  clientOptions(program.command('run').argument('<replication>', 'replication name').description('run a replication now on a controller'))
    .option('--no-wait', 'return at once instead of waiting for the run')
    .action(async (name: string, flags: ClientFlags) => {
      try {
        const { status: code, body } = await call(flags, 'POST', `/api/v1/replications/${encodeURIComponent(name)}/run${flags.wait === false ? '?wait=false' : ''}`);
        io.stdout.write(JSON.stringify(body, null, 2) + '\n');
        setExitCode(code === 200 || code === 202 ? ExitCode.ok : ExitCode.failed);
      } catch (err) {
        io.stderr.write(`ferry run: ${errorMessage(err)}\n`);
        setExitCode(ExitCode.usage);
      }
    });
};
