/**
 * `ferry diff BASE HEAD [--repo DIR] [--path P] [--format markdown|json] [--exit-zero]`: what a
 * change of the topology does to each site, read from two revisions of a Git repository without
 * a checkout. Markdown is written to be posted as a PR/MR comment.
 *
 * Exit codes (like `diff(1)` and `git diff --exit-code`): 0 no site changes, 1 some site changes
 * (0 with `--exit-zero`), 2 usage or I/O errors (not a repository, unknown revision, missing path).
 * Invalid topologies do not change the exit code: HEAD's problems are listed in the output, and
 * `ferry validate` is the gate for them.
 */
import { Option, type Command } from 'commander';
import type { CliIO } from '../io.js';
import { ExitCode } from '../exit-codes.js';
import type { RegisterCommand, SetExitCode } from './index.js';
import { FerryError, errorMessage, isFerryError } from '../../errors/index.js';
import { DEFAULT_MAX_FILE_BYTES, GitErrorCode, readTopologyAtRevision, type TopologySnapshot } from '../../git/index.js';
import { IssueCode, loadTopologyFiles, type LoadResult, type ValidationIssue } from '../../topology/index.js';
import { diffTopologies, renderDiffMarkdown } from '../../plan/index.js';

interface DiffOptions {
  repo: string;
  path: string;
  format: 'markdown' | 'json';
  exitZero?: boolean;
}

async function readBoth(base: string, head: string, opts: DiffOptions): Promise<[TopologySnapshot, TopologySnapshot]> {
  const read = (revision: string): Promise<TopologySnapshot> =>
    readTopologyAtRevision({ repo: opts.repo, revision, path: opts.path, missingPath: 'empty', oversize: 'skip' });
  const snapshots: [TopologySnapshot, TopologySnapshot] = [await read(base), await read(head)];
  // A path missing on one side is a topology being added or removed; missing on both is a typo.
  if (!snapshots[0].pathFound && !snapshots[1].pathFound) {
    throw new FerryError(GitErrorCode.pathNotFound, `path ${JSON.stringify(snapshots[0].path || '.')} exists at neither ${base} nor ${head}`, {
      data: { path: snapshots[0].path },
    });
  }
  return snapshots;
}

/** Files the reader left out for size become errors at their path, like the loader reports them. */
function withOversized(result: LoadResult, snap: TopologySnapshot): LoadResult {
  if (snap.oversized.length === 0) return result;
  const issues: ValidationIssue[] = snap.oversized.map(({ path, size }) => ({
    severity: 'error',
    code: IssueCode.fileTooLarge,
    message: `file is ${size} bytes, over the ${DEFAULT_MAX_FILE_BYTES}-byte limit`,
    file: path,
    line: 1,
    column: 1,
    path: '',
  }));
  return { ...result, issues: [...issues, ...result.issues], valid: false };
}

async function runDiff(base: string, head: string, opts: DiffOptions, io: CliIO): Promise<number> {
  let snapshots: [TopologySnapshot, TopologySnapshot];
  try {
    snapshots = await readBoth(base, head, opts);
  } catch (err) {
    const code = isFerryError(err) ? ` [${err.code}]` : '';
    io.stderr.write(`ferry diff: ${errorMessage(err)}${code}\n`);
    return ExitCode.usage;
  }
  const [baseSnap, headSnap] = snapshots;
  const before = loadTopologyFiles(baseSnap.files);
  const after = withOversized(loadTopologyFiles(headSnap.files), headSnap);
  const diff = diffTopologies(before.topology, after.topology);
  if (opts.format === 'json') {
    const out = {
      base: { revision: base, commit: baseSnap.commit, valid: before.valid },
      head: { revision: head, commit: headSnap.commit, valid: after.valid },
      path: headSnap.path,
      ...diff,
      headIssues: after.issues,
    };
    io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    io.stdout.write(renderDiffMarkdown(diff, {
      base: { revision: base, commit: baseSnap.commit },
      head: { revision: head, commit: headSnap.commit },
      headIssues: after.issues,
      filePrefix: headSnap.path,
    }));
  }
  return diff.changed && !opts.exitZero ? ExitCode.failed : ExitCode.ok;
}

export const register: RegisterCommand = (program: Command, io: CliIO, setExitCode: SetExitCode) => {
  program
    .command('diff')
    .description('show what changes for each site between two Git revisions of the topology')
    .argument('<base>', 'base revision (branch, tag, commit id, HEAD~1 …)')
    .argument('<head>', 'head revision')
    .option('--repo <dir>', 'local Git repository (worktree or bare)', '.')
    .option('--path <path>', 'topology directory inside the repository', '')
    .addOption(new Option('--format <format>', 'output format').choices(['markdown', 'json']).default('markdown'))
    .option('--exit-zero', 'exit 0 even when sites change (for CI steps that only post the comment)')
    .action(async (base: string, head: string, opts: DiffOptions) => setExitCode(await runDiff(base, head, opts, io)));
};
