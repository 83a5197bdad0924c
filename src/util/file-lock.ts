/**
 * An exclusive lock between processes: a lock file created with O_EXCL that holds the holder's
 * pid. Used by the blob writer (one writer per partial blob) and by OCI layouts (one writer of
 * index.json at a time).
 *
 * A lock is stale, and is taken over, when its pid is gone (the holder was killed), when it
 * holds no pid for 5 s (a holder died between create and write), or when the live pid has shown
 * no activity for `staleMs` (the pid was reused by another process after a kill -9). The caller
 * says what activity means (`lastActivity`); by default the lock file's own mtime.
 */
import { open, stat, unlink } from 'node:fs/promises';

export interface FileLockOptions {
  signal?: AbortSignal;
  /** Built when `signal` aborts while waiting. */
  abortError: () => Error;
  /** Milliseconds since the epoch of the holder's last sign of life (default: the lock's mtime). */
  lastActivity?: (lockPath: string) => Promise<number>;
  /** A live holder without activity for this long is stale (default 5 minutes). */
  staleMs?: number;
  pollMs?: number;
}

const PIDLESS_STALE_MS = 5_000;

/** Waits for the lock; resolves with its release. */
export async function acquireFileLock(lockPath: string, options: FileLockOptions): Promise<() => Promise<void>> {
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return async () => {
        await unlink(lockPath).catch(() => undefined);
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (await lockIsStale(lockPath, options)) {
      await unlink(lockPath).catch(() => undefined);
      continue;
    }
    if (options.signal?.aborted) throw options.abortError();
    await new Promise((r) => setTimeout(r, options.pollMs ?? 50));
  }
}

async function lockIsStale(lockPath: string, options: FileLockOptions): Promise<boolean> {
  let text: string;
  try {
    const handle = await open(lockPath, 'r');
    try {
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return false; // vanished or unreadable: just try again
  }
  const pid = Number.parseInt(text, 10);
  if (!Number.isInteger(pid) || pid <= 0) {
    const written = await mtime(lockPath);
    return written > 0 && Date.now() - written > PIDLESS_STALE_MS;
  }
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  const touched = await (options.lastActivity ?? mtime)(lockPath);
  return touched > 0 && Date.now() - touched > (options.staleMs ?? 5 * 60_000);
}

/** mtime in ms since the epoch, 0 when the file is gone. */
export async function mtime(path: string): Promise<number> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return 0;
  }
}
