/**
 * A real Git smart-HTTP server for tests: a Node http server on 127.0.0.1:0 that runs
 * `git http-backend` as a CGI program per request (PEERS.md "Git"), plus helpers that create a
 * bare repository with a working clone where a test writes topology files, commits and pushes
 * with the git CLI (throwaway HOME, fixed author).
 *
 * Fails loudly (never skips) when git is missing: scripts/install-test-deps.sh installs it.
 */
import { spawn, execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface GitServerRequest {
  method: string;
  path: string;
  status: number;
}

export interface RunningGitServer {
  /** `http://127.0.0.1:PORT` — repositories are at `${url}/<name>.git`. */
  url: string;
  /** Directory served (GIT_PROJECT_ROOT); create repositories in it with `createTopologyRepo`. */
  root: string;
  /** Every request answered so far, in order. */
  readonly requests: GitServerRequest[];
  stop(): Promise<void>;
}

export interface StartGitServerOptions {
  /** Require HTTP Basic auth with exactly these credentials (401 otherwise). */
  auth?: { username: string; password: string };
  /** Serve https with this key and certificate (PEM); the URL then starts with `https://`. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Answer requests under `/<movedPrefix>/…` with a 301 to `/…` (a moved repository). */
  movedPrefix?: string;
}

export async function startGitServer(options: StartGitServerOptions = {}): Promise<RunningGitServer> {
  const root = await mkdtemp(join(tmpdir(), 'ferry-git-server-'));
  const requests: GitServerRequest[] = [];
  const handler: RequestListener = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const record = (status: number): void => void requests.push({ method: req.method ?? 'GET', path: url.pathname, status });
    const moved = options.movedPrefix ? `/${options.movedPrefix}/` : undefined;
    if (moved && url.pathname.startsWith(moved)) {
      record(301);
      res.writeHead(301, { location: url.pathname.slice(moved.length - 1) + url.search }).end();
      return;
    }
    const user = checkAuth(req, options.auth);
    if (user === false) {
      record(401);
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="ferry-test"' }).end();
      return;
    }
    runBackend(root, req, res, url, user, record);
  };
  const server = options.tls ? createHttpsServer(options.tls, handler) : createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    root,
    requests,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Returns the user name, `undefined` when no auth is required, `false` when it is missing/wrong. */
function checkAuth(req: IncomingMessage, auth: StartGitServerOptions['auth']): string | undefined | false {
  if (!auth) return undefined;
  const header = req.headers.authorization ?? '';
  if (!header.startsWith('Basic ')) return false;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  return decoded === `${auth.username}:${auth.password}` ? auth.username : false;
}

function runBackend(root: string, req: IncomingMessage, res: ServerResponse, url: URL, user: string | undefined, record: (status: number) => void): void {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    REMOTE_ADDR: '127.0.0.1',
    // REMOTE_USER enables receive-pack (push); the tests push through the file system anyway.
    REMOTE_USER: user ?? 'anonymous',
  };
  if (req.headers['content-length'] !== undefined) env.CONTENT_LENGTH = req.headers['content-length'];
  if (req.headers['content-encoding'] !== undefined) env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
  const protocol = req.headers['git-protocol'];
  if (typeof protocol === 'string') env.GIT_PROTOCOL = protocol;

  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'ignore'] });
  child.on('error', () => {
    record(500);
    if (!res.headersSent) res.writeHead(500).end('cannot run git http-backend');
  });
  req.pipe(child.stdin);
  child.stdin.on('error', () => undefined);
  let head = Buffer.alloc(0);
  let streaming = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (streaming) return void res.write(chunk);
    head = Buffer.concat([head, chunk]);
    const end = headerEnd(head);
    if (end === undefined) return;
    const { status, headers } = parseCgiHeaders(head.subarray(0, end.start).toString('latin1'));
    record(status);
    res.writeHead(status, headers);
    res.write(head.subarray(end.bodyStart));
    streaming = true;
  });
  child.stdout.on('end', () => {
    if (!streaming) {
      record(502);
      res.writeHead(502);
    }
    res.end();
  });
}

function headerEnd(buf: Buffer): { start: number; bodyStart: number } | undefined {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { start: crlf, bodyStart: crlf + 4 };
  if (lf >= 0) return { start: lf, bodyStart: lf + 2 };
  return undefined;
}

function parseCgiHeaders(text: string): { status: number; headers: Record<string, string> } {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
    else headers[name] = value;
  }
  return { status, headers };
}

export interface TopologyRepo {
  /** Bare repository inside the server root (or any directory when no server is used). */
  bareDir: string;
  /** Working clone where the test writes files. */
  workDir: string;
  /** Repository name as served: `${server.url}/${name}`. */
  name: string;
  /** Writes (creating directories) a file in the working clone. */
  write(path: string, content: string | Buffer): Promise<void>;
  remove(path: string): Promise<void>;
  /** `git add -A && git commit && git push origin HEAD:<branch>`; returns the new commit id. */
  commitAndPush(message: string, options?: { signingKey?: string; gnupgHome?: string }): Promise<string>;
  /** Runs any git command in the working clone with the helper's environment. */
  git(args: string[], env?: NodeJS.ProcessEnv): Promise<string>;
  cleanup(): Promise<void>;
}

export interface CreateTopologyRepoOptions {
  /** Directory that holds the bare repo (a git server's `root`); a fresh temp dir otherwise. */
  root?: string;
  name?: string;
  branch?: string;
}

/** Creates `<root>/<name>` (bare) and a working clone with a throwaway HOME and a fixed author. */
export async function createTopologyRepo(options: CreateTopologyRepoOptions = {}): Promise<TopologyRepo> {
  const { name = 'topology.git', branch = 'main' } = options;
  const scratch = await mkdtemp(join(tmpdir(), 'ferry-git-work-'));
  const root = options.root ?? join(scratch, 'remote');
  const bareDir = join(root, name);
  const workDir = join(scratch, 'work');
  const home = join(scratch, 'home');
  await mkdir(home, { recursive: true });
  const baseEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Ferry Test',
    GIT_AUTHOR_EMAIL: 'test@example.invalid',
    GIT_COMMITTER_NAME: 'Ferry Test',
    GIT_COMMITTER_EMAIL: 'test@example.invalid',
  };
  const run = async (cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> => {
    const { stdout } = await execFileAsync('git', args, { cwd, env: { ...baseEnv, ...env } });
    return stdout.trim();
  };
  await mkdir(root, { recursive: true });
  await run(root, ['init', '--quiet', '--bare', `--initial-branch=${branch}`, bareDir]);
  await run(scratch, ['init', '--quiet', `--initial-branch=${branch}`, workDir]);
  await run(workDir, ['remote', 'add', 'origin', bareDir]);

  return {
    bareDir,
    workDir,
    name,
    async write(path, content) {
      const file = join(workDir, path);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, content);
    },
    async remove(path) {
      await rm(join(workDir, path), { recursive: true, force: true });
    },
    async commitAndPush(message, { signingKey, gnupgHome } = {}) {
      await run(workDir, ['add', '-A']);
      const sign = signingKey ? [`-S${signingKey}`] : [];
      await run(workDir, ['commit', '--quiet', '--allow-empty', ...sign, '-m', message], gnupgHome ? { GNUPGHOME: gnupgHome } : {});
      await run(workDir, ['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`]);
      return run(workDir, ['rev-parse', 'HEAD']);
    },
    git: (args, env) => run(workDir, args, env),
    async cleanup() {
      await rm(scratch, { recursive: true, force: true });
      if (options.root) await rm(bareDir, { recursive: true, force: true });
    },
  };
}
