/**
 * Helpers for the fs store's multi-process tests: spawn the writer fixture (real child processes
 * running the real store) and check a store directory's on-disk consistency after a crash.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const WRITER = fileURLToPath(new URL('./fixtures/store-writer.ts', import.meta.url));

export interface Writer {
  child: ChildProcess;
  lines: string[];
  /** Resolves with the first line matching `pattern` (or rejects when the process exits first). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
  stderr(): string;
}

export function spawnWriter(args: string[]): Writer {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let err = '';
  let buffer = '';
  const waiters: { pattern: RegExp; resolve: (l: string) => void }[] = [];
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      lines.push(line);
      for (const w of [...waiters]) if (w.pattern.test(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    exited,
    stderr: () => err,
    waitFor(pattern, timeoutMs = 30_000) {
      const seen = lines.find((l) => pattern.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timeout waiting for ${pattern}: ${lines.slice(-3).join('|')} ${err}`)), timeoutMs);
        waiters.push({ pattern, resolve: (l) => { clearTimeout(timer); resolve(l); } });
        void exited.then((code) => { clearTimeout(timer); reject(new Error(`writer exited (${code}) before ${pattern}: ${err}`)); });
      });
    },
  };
}

export async function killHard(writer: Writer): Promise<void> {
  writer.child.kill('SIGKILL');
  await writer.exited;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return 'sha256:' + hash.digest('hex');
}

/**
 * Problems found in a store directory (empty when consistent): a visible blob file that does not
 * hash to its name, metadata pointing at missing files, tags or changes pointing at nothing,
 * sequences out of step.
 */
export async function consistencyProblems(dir: string): Promise<string[]> {
  const problems: string[] = [];
  const blobsDir = join(dir, 'blobs', 'sha256');
  for (const name of readdirSync(blobsDir)) {
    const actual = await sha256File(join(blobsDir, name));
    if (actual !== `sha256:${name}`) problems.push(`blob file ${name} hashes to ${actual}`);
  }
  const exists = (digest: string, size?: number): boolean => {
    try {
      const st = statSync(join(blobsDir, digest.slice(7)));
      return size === undefined || st.size === size;
    } catch {
      return false;
    }
  };
  const db = new Database(join(dir, 'ferry.db'), { readonly: true });
  try {
    for (const r of db.prepare('SELECT digest, size FROM blobs').all() as { digest: string; size: number }[]) {
      if (!exists(r.digest, r.size)) problems.push(`blob row ${r.digest} without its file`);
    }
    for (const r of db.prepare('SELECT repository, digest, size FROM manifests').all() as { repository: string; digest: string; size: number }[]) {
      if (!exists(r.digest, r.size)) problems.push(`manifest ${r.repository}@${r.digest} without its file`);
    }
    for (const r of db.prepare('SELECT repository, manifest, blob FROM manifest_blobs').all() as { repository: string; manifest: string; blob: string }[]) {
      if (!exists(r.blob)) problems.push(`manifest ${r.manifest} references missing blob ${r.blob}`);
    }
    const orphanTags = db.prepare('SELECT t.repository, t.tag FROM tags t LEFT JOIN manifests m ON m.repository = t.repository AND m.digest = t.digest WHERE m.digest IS NULL').all();
    for (const t of orphanTags as { repository: string; tag: string }[]) problems.push(`tag ${t.repository}:${t.tag} points at no manifest`);
    const puts = db.prepare("SELECT c.repository, c.digest FROM changes c LEFT JOIN manifests m ON m.repository = c.repository AND m.digest = c.digest WHERE c.op = 'put' AND m.digest IS NULL").all();
    for (const p of puts as { repository: string; digest: string }[]) problems.push(`change put ${p.repository}@${p.digest} without its manifest`);
    for (const f of db.prepare('SELECT f.name, f.last_seq, (SELECT MAX(seq) FROM changes c WHERE c.feed = f.name) AS max_seq FROM feeds f').all() as { name: string; last_seq: number; max_seq: number | null }[]) {
      if ((f.max_seq ?? 0) !== f.last_seq) problems.push(`feed ${f.name} last_seq ${f.last_seq} but max change ${f.max_seq}`);
    }
  } finally {
    db.close();
  }
  return problems;
}
