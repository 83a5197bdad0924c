/**
 * `ferry copy SRC DST [--plain-http] [--platform os/arch] [--referrers] [--concurrency N]
 *   [--src-creds U:P|TOKEN] [--dest-creds U:P|TOKEN] [--ca-file FILE]`
 *
 * Copies an image, index or artifact (and its referrers with `--referrers`) between registries
 * (`[docker://]host[:port]/repo[:tag][@digest]`) and OCI layouts (`oci:DIR[:tag]`) with the OCI
 * engine's `copy()`: verified, deduplicated by digest, resumable. Credentials come from the flags
 * or, so secrets stay off the command line, from FERRY_SRC_CREDS / FERRY_DEST_CREDS; `U:P` is
 * Basic, a value without `:` is a token (a ferry sync token). Plain HTTP needs `--plain-http`
 * except for loopback registries. On a terminal, progress goes to stderr (bytes, rate, ETA);
 * otherwise stdout gets JSON lines (`{"event":"progress",…}` …, then `{"event":"done",…}`).
 */
import { readFile } from 'node:fs/promises';
import { Command, CommanderError } from 'commander';
import { processIO, type CliIO } from '../io.js';
import { ExitCode } from '../exit-codes.js';
import type { RegisterCommand, SetExitCode } from './index.js';
import { errorMessage, FerryError, isFerryError } from '../../errors/index.js';
import {
  copy,
  createLayoutTarget,
  createRegistryClient,
  formatReference,
  isDigest,
  parseReference,
  type ContentTarget,
  type CopyProgress,
  type Credentials,
  type Reference,
} from '../../oci/index.js';

interface CopyCommandOptions {
  plainHttp?: boolean;
  platform?: string;
  referrers?: boolean;
  concurrency: string;
  srcCreds?: string;
  destCreds?: string;
  caFile?: string;
}

function usage(message: string): FerryError {
  return new FerryError('USAGE', message);
}

export function parseCredentials(value: string | undefined): Credentials | undefined {
  if (value === undefined || value === '') return undefined;
  const colon = value.indexOf(':');
  return colon > 0 ? { username: value.slice(0, colon), password: value.slice(colon + 1) } : { token: value };
}

function targetFor(ref: Reference, plainHttp: boolean, auth: Credentials | undefined, ca: Buffer | undefined): { target: ContentTarget; repository: string; close: () => void } {
  if (ref.kind === 'layout') return { target: createLayoutTarget(ref.path), repository: '', close: () => undefined };
  // Loopback registries default to plain HTTP; a CA file means the user expects https anywhere.
  const scheme = plainHttp ? { plainHttp: true } : ca ? { plainHttp: false } : {};
  const client = createRegistryClient({ registry: ref.registry, ...scheme, ...(auth ? { auth } : {}), ...(ca ? { ca } : {}) });
  return { target: client, repository: ref.repository, close: client.close };
}

function sourceReference(ref: Reference): string {
  if (ref.kind === 'layout') {
    if (!ref.tag) throw usage(`source ${formatReference(ref)} needs a tag (oci:DIR:tag)`);
    return ref.tag;
  }
  const reference = ref.digest ?? ref.tag;
  if (!reference) throw usage(`source ${formatReference(ref)} needs a tag or a digest`);
  return reference;
}

function destinationReference(ref: Reference, source: string): string {
  if (ref.kind === 'layout') {
    const tag = ref.tag ?? (isDigest(source) ? undefined : source);
    if (!tag) throw usage(`destination ${formatReference(ref)} needs a tag when the source is a digest (oci:DIR:tag)`);
    return tag;
  }
  return ref.digest ?? ref.tag ?? source;
}

const MB = 1e6;

/** Progress on a terminal: one rewritten line (bytes, rate, ETA over the blobs seen so far). */
function createReporter(io: CliIO): { progress: (p: CopyProgress) => void; finish: () => void } {
  const started = Date.now();
  const blobs = new Map<string, { done: number; total: number }>();
  const tty = io.stderr.isTTY === true && io.stdout.isTTY === true;
  let lastDraw = 0;
  const draw = (): void => {
    let done = 0;
    let total = 0;
    for (const b of blobs.values()) {
      done += b.done;
      total += b.total;
    }
    const seconds = Math.max(0.001, (Date.now() - started) / 1000);
    const rate = done / seconds;
    const eta = rate > 0 ? Math.max(0, (total - done) / rate) : 0;
    io.stderr.write(`\r${(done / MB).toFixed(1)} / ${(total / MB).toFixed(1)} MB  ${(rate / MB).toFixed(1)} MB/s  ETA ${eta.toFixed(0)}s   `);
  };
  return {
    progress: (p) => {
      blobs.set(p.digest, { done: p.done, total: p.total });
      if (tty) {
        if (Date.now() - lastDraw > 200) {
          lastDraw = Date.now();
          draw();
        }
      } else {
        io.stdout.write(`${JSON.stringify({ event: 'progress', digest: p.digest, done: p.done, total: p.total })}\n`);
      }
    },
    finish: () => {
      if (tty && blobs.size > 0) {
        draw();
        io.stderr.write('\n');
      }
    },
  };
}

async function runCopy(src: string, dst: string, options: CopyCommandOptions, io: CliIO): Promise<number> {
  const concurrency = Number(options.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw usage('--concurrency must be an integer from 1 to 64');
  let srcRef: Reference;
  let dstRef: Reference;
  try {
    srcRef = parseReference(src);
    dstRef = parseReference(dst);
  } catch (err) {
    throw usage(errorMessage(err));
  }
  const srcReference = sourceReference(srcRef);
  const dstReference = destinationReference(dstRef, srcReference);
  let ca: Buffer | undefined;
  if (options.caFile) {
    try {
      ca = await readFile(options.caFile);
    } catch (err) {
      throw usage(`cannot read --ca-file ${options.caFile}: ${errorMessage(err)}`);
    }
  }
  const source = targetFor(srcRef, options.plainHttp === true, parseCredentials(options.srcCreds ?? process.env.FERRY_SRC_CREDS), ca);
  const destination = targetFor(dstRef, options.plainHttp === true, parseCredentials(options.destCreds ?? process.env.FERRY_DEST_CREDS), ca);
  const reporter = createReporter(io);
  const started = Date.now();
  try {
    const result = await copy(source.target, { repository: source.repository, reference: srcReference }, destination.target, { repository: destination.repository, reference: dstReference }, {
      concurrency,
      referrers: options.referrers === true,
      onProgress: reporter.progress,
      ...(options.platform ? { platform: options.platform } : {}),
    });
    reporter.finish();
    const seconds = (Date.now() - started) / 1000;
    const summary = { event: 'done', digest: result.descriptor.digest, mediaType: result.descriptor.mediaType, manifests: result.manifests, blobs: result.blobs, skipped: result.skipped, bytesTransferred: result.bytesTransferred, seconds };
    if (io.stdout.isTTY) {
      io.stdout.write(`copied ${formatReference(srcRef)} → ${formatReference(dstRef)} ${result.descriptor.digest} (${result.manifests} manifests, ${result.blobs} blobs, ${(result.bytesTransferred / MB).toFixed(1)} MB in ${seconds.toFixed(1)}s, ${result.skipped} already present)\n`);
    } else {
      io.stdout.write(`${JSON.stringify(summary)}\n`);
    }
    return ExitCode.ok;
  } finally {
    source.close();
    destination.close();
  }
}

export const register: RegisterCommand = (program: Command, io: CliIO, setExitCode: SetExitCode) => {
  program
    .command('copy')
    .description('copy an image, index or artifact between registries and OCI layouts (verified, deduplicated, resumable)')
    .argument('<src>', 'source: [docker://]host[:port]/repo:tag|@sha256:… or oci:DIR:tag')
    .argument('<dst>', 'destination: [docker://]host[:port]/repo[:tag] or oci:DIR[:tag]')
    .option('--plain-http', 'use plain HTTP for non-loopback registries')
    .option('--platform <os/arch>', 'copy only this platform of an index')
    .option('--referrers', 'also copy referrers (signatures, SBOMs, attestations)')
    .option('--concurrency <n>', 'blobs transferred at once', '4')
    .option('--src-creds <user:password|token>', 'source credentials (or env FERRY_SRC_CREDS)')
    .option('--dest-creds <user:password|token>', 'destination credentials (or env FERRY_DEST_CREDS)')
    .option('--ca-file <file>', 'PEM CA certificate(s) to trust for https registries, besides the system ones')
    .action(async (src: string, dst: string, options: CopyCommandOptions) => {
      try {
        setExitCode(await runCopy(src, dst, options, io));
      } catch (err) {
        const code = isFerryError(err) ? err.code : undefined;
        const digest = isFerryError(err) && typeof err.data.digest === 'string' ? err.data.digest : undefined;
        if (!io.stdout.isTTY) io.stdout.write(`${JSON.stringify({ event: 'error', code, digest, message: errorMessage(err) })}\n`);
        io.stderr.write(`ferry copy: ${errorMessage(err)}${code ? ` [${code}]` : ''}\n`);
        setExitCode(code === 'USAGE' ? ExitCode.usage : ExitCode.failed);
      }
    });
};

/**
 * `ferry copy` on its own: the same command in a program that loads only the OCI engine. bin/ferry.js
 * takes this path for `ferry copy …`, because the full CLI imports every command's modules at
 * start (~45 MB and seconds on a busy machine) that a bulk copy does not need. Same parsing,
 * output and exit codes as through `main()`.
 */
export async function copyMain(argv: string[], io: CliIO = processIO): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const program = new Command('ferry')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError();
  register(program, io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    io.stderr.write(`ferry: ${errorMessage(err)}\n`);
    return ExitCode.failed;
  }
  return exitCode;
}
