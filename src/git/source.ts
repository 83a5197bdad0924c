/**
 * The controller's Git source: where a site gets its topology (DESIGN.md section 2, `topology:`).
 *
 * `createGitSource()` returns a `GitSource` whose contracts are:
 *   - `sync()` asks the server for the ref first (one `GET info/refs`) and compares the commit id
 *     with what the local cache already holds; only a new commit is fetched (depth-limited, that
 *     ref only, into a bare cache repository under `dir`; the first sync is the shallow clone).
 *     An idle sync therefore costs one HTTP request. `changed` is true when the commit differs
 *     from the previous `sync()` of this object (or from `knownCommit` for the first one).
 *   - Calls to `sync()` never overlap: a call made while one runs waits for it.
 *   - `readFiles(commit)` reads `*.yaml|*.yml` under `path` straight from the commit's tree (no
 *     worktree, size caps on files and total), via the shared tree reader in read-files.ts.
 *   - A local path (or `file://` URL) is read in place: no clone, no network.
 *   - Every failure is a FerryError: GIT_AUTH, GIT_NOT_FOUND, GIT_CONNECTION, GIT_TLS,
 *     GIT_RESPONSE_TOO_LARGE, GIT_UNTRUSTED_COMMIT, GIT_TOO_LARGE, GIT_PATH_NOT_FOUND; no message
 *     contains credentials (URLs are sanitised).
 */
import fs from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import git from 'isomorphic-git';
import type { Logger } from 'pino';
import { FerryError, ErrorCode } from '../errors/index.js';
import { silentLogger } from '../log/index.js';
import { sanitizeUrl } from '../util/sanitize-url.js';
import { findGitDir } from './repository.js';
import { resolveRevision } from './revision.js';
import { readTopologyAtRevision, type TopologyFile } from './read-files.js';
import { createGitHttpClient } from './fetch-http.js';
import { refNotFound, toGitSourceError } from './source-errors.js';
import type { CommitVerifier } from './verify.js';

export interface GitCredentials {
  /** Default `git` (token-only servers ignore it; GitHub accepts any). */
  username?: string;
  password?: string;
  /** Same as `password`; for hosts that issue access tokens. */
  token?: string;
}

export interface GitSourceLimits {
  /** Per YAML file. Default 1 MiB. */
  maxFileBytes?: number;
  /** Number of YAML files. Default 20,000. */
  maxFiles?: number;
  /** Sum of YAML file sizes. Default 64 MiB. */
  maxTotalBytes?: number;
  /** One HTTP response (a pack). Default 256 MiB. */
  maxResponseBytes?: number;
}

export interface GitSourceOptions {
  /** `http(s)://…` repository URL, or a local path / `file://` URL of a repository. */
  url: string;
  /** Branch or tag. Default `main`. */
  ref?: string;
  /** Directory inside the repository holding the topology. Default: the root. */
  path?: string;
  /** Cache directory for a remote repository (e.g. `<dataDir>/topology-git`). Unused for local paths. */
  dir: string;
  /** Resolved from `topology.credentials.secretRef` by the caller. Sent as HTTP Basic auth. */
  credentials?: GitCredentials;
  /** Commits fetched per sync. Default 1 (shallow). */
  depth?: number;
  /** Socket idle timeout per request. Default 30 s. */
  timeoutMs?: number;
  /** Extra trusted CA certificates (PEM) for https. */
  ca?: string | Buffer;
  limits?: GitSourceLimits;
  /** When `path` does not exist at a commit: throw GIT_PATH_NOT_FOUND (default) or return no files. */
  missingPath?: 'error' | 'empty';
  /** The commit the caller last applied: the first `sync()` reports `changed` against it. */
  knownCommit?: string;
  /** Only commits this verifier accepts are returned by `sync()` (topology.verifyCommits). */
  verifier?: CommitVerifier;
  /** Called for every HTTP request (method, sanitised URL): metrics and tests. */
  onRequest?: (method: string, url: string) => void;
  log?: Logger;
}

export interface SyncResult {
  /** Full commit id the ref points at. */
  commit: string;
  /** False when it is the same commit as the previous sync (no further work needed). */
  changed: boolean;
}

export interface GitSource {
  /** The repository URL, sanitised for logs and status. */
  readonly displayUrl: string;
  sync(): Promise<SyncResult>;
  readFiles(commit: string): Promise<TopologyFile[]>;
}

interface Backend {
  /** Makes `commit` available locally and returns it. */
  resolve(): Promise<string>;
  /** The git directory holding the objects. */
  gitdir(): Promise<string>;
}

const COMMIT_ID = /^[0-9a-f]{40}$/;

export function isRemoteUrl(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

export function createGitSource(options: GitSourceOptions): GitSource {
  const { url, ref = 'main', path = '', log = silentLogger } = options;
  const displayUrl = isRemoteUrl(url) ? sanitizeUrl(url) : url;
  const backend = isRemoteUrl(url) ? remoteBackend(options, ref) : localBackend(url, ref);
  let last = options.knownCommit;
  let queue: Promise<unknown> = Promise.resolve();

  async function syncOnce(): Promise<SyncResult> {
    let commit: string;
    try {
      commit = await backend.resolve();
    } catch (err) {
      throw toGitSourceError(err, url, ref);
    }
    if (options.verifier) await options.verifier.verify(await backend.gitdir(), commit);
    const changed = commit !== last;
    if (changed) log.info({ url: displayUrl, ref, commit, previous: last ?? null }, 'topology repository has a new commit');
    else log.debug({ url: displayUrl, ref, commit }, 'topology repository unchanged');
    last = commit;
    return { commit, changed };
  }

  return {
    displayUrl,
    sync() {
      const run = queue.then(syncOnce, syncOnce);
      queue = run.catch(() => undefined);
      return run;
    },
    async readFiles(commit) {
      if (!COMMIT_ID.test(commit)) throw new FerryError(ErrorCode.invalidInput, 'readFiles needs a full commit id', { data: { commit } });
      const snapshot = await readTopologyAtRevision({
        repo: await backend.gitdir(),
        revision: commit,
        path,
        missingPath: options.missingPath ?? 'error',
        ...pickDefined(options.limits ?? {}),
      });
      return snapshot.files;
    },
  };
}

function pickDefined(limits: GitSourceLimits): { maxFileBytes?: number; maxFiles?: number; maxTotalBytes?: number } {
  const out: { maxFileBytes?: number; maxFiles?: number; maxTotalBytes?: number } = {};
  if (limits.maxFileBytes !== undefined) out.maxFileBytes = limits.maxFileBytes;
  if (limits.maxFiles !== undefined) out.maxFiles = limits.maxFiles;
  if (limits.maxTotalBytes !== undefined) out.maxTotalBytes = limits.maxTotalBytes;
  return out;
}

/** A repository on this machine: read in place, never written. */
function localBackend(url: string, ref: string): Backend {
  const dir = url.startsWith('file://') ? fileURLToPath(url) : url;
  let found: string | undefined;
  const gitdir = async (): Promise<string> => (found ??= await findGitDir(dir));
  return {
    gitdir,
    async resolve() {
      return resolveRevision(await gitdir(), ref);
    },
  };
}

function basicAuth(credentials: GitCredentials | undefined): Record<string, string> {
  const secret = credentials?.password ?? credentials?.token;
  if (secret === undefined) return {};
  const user = credentials?.username ?? 'git';
  // Sent up front (not through onAuth after a 401) so an idle sync stays one request. The key is
  // spelled as isomorphic-git spells it, so user info in the URL replaces it instead of doubling it.
  return { Authorization: `Basic ${Buffer.from(`${user}:${secret}`, 'utf8').toString('base64')}` };
}

/** The advertised commit for `ref` (a branch, a tag — peeled — or a full `refs/…` name). */
function pickRef(refs: Array<{ ref: string; oid: string; peeled?: string }>, ref: string): { name: string; commit: string } | undefined {
  const candidates = ref.startsWith('refs/') ? [ref] : [`refs/heads/${ref}`, `refs/tags/${ref}`];
  for (const name of candidates) {
    const hit = refs.find((r) => r.ref === name);
    if (hit) return { name, commit: hit.peeled ?? hit.oid };
  }
  return undefined;
}

async function hasCommit(gitdir: string, oid: string): Promise<boolean> {
  try {
    await git.readCommit({ fs, gitdir, oid });
    return true;
  } catch {
    return false;
  }
}

/** A repository over smart HTTP, cached as a bare shallow repository in `options.dir`. */
function remoteBackend(options: GitSourceOptions, ref: string): Backend {
  const gitdir = join(options.dir, 'repo.git');
  const http = createGitHttpClient({
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.limits?.maxResponseBytes !== undefined ? { maxResponseBytes: options.limits.maxResponseBytes } : {}),
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
    ...(options.onRequest ? { onRequest: options.onRequest } : {}),
  });
  const headers = basicAuth(options.credentials);
  let initialised: Promise<void> | undefined;

  async function initRepo(): Promise<void> {
    await mkdir(options.dir, { recursive: true });
    if (fs.existsSync(join(gitdir, 'config'))) return;
    await git.init({ fs, gitdir, bare: true, defaultBranch: 'ferry' });
    // fetch() needs a remote with a refspec; the URL is passed on every fetch, never read back.
    await git.setConfig({ fs, gitdir, path: 'remote.origin.url', value: sanitizeUrl(options.url) });
    await git.setConfig({ fs, gitdir, path: 'remote.origin.fetch', value: '+refs/heads/*:refs/remotes/origin/*' });
  }

  function ensureRepo(): Promise<void> {
    initialised ??= initRepo().catch((err: unknown) => {
      initialised = undefined;
      throw err;
    });
    return initialised;
  }

  async function fetchRef(): Promise<string> {
    await ensureRepo();
    // Protocol v1: the ref advertisement is the whole answer, so "anything new?" is one GET.
    const refs = await git.listServerRefs({ http, url: options.url, headers: { ...headers }, protocolVersion: 1, peelTags: true });
    const wanted = pickRef(refs, ref);
    if (!wanted) throw refNotFound(options.url, ref);
    if (await hasCommit(gitdir, wanted.commit)) return wanted.commit;
    const result = await git.fetch({
      fs,
      http,
      gitdir,
      url: options.url,
      ref: wanted.name,
      singleBranch: true,
      depth: options.depth ?? 1,
      tags: false,
      headers: { ...headers },
    });
    const fetched = result.fetchHead ? (await git.readCommit({ fs, gitdir, oid: result.fetchHead })).oid : wanted.commit;
    // A shallow fetch cannot be merged (PEERS.md): point our own ref at the fetched commit.
    await git.writeRef({ fs, gitdir, ref: 'refs/heads/ferry', value: fetched, force: true });
    return fetched;
  }

  return {
    async gitdir() {
      await ensureRepo();
      return gitdir;
    },
    async resolve() {
      http.takeFailure();
      try {
        return await fetchRef();
      } catch (err) {
        throw http.takeFailure() ?? err;
      }
    },
  };
}
