/**
 * On-disk snapshot of a PackageIndex, so a restarted site does not re-read every manifest and
 * config blob of a large feed before it can answer (a cold load costs two store reads per
 * package version).
 *
 * Safety: the snapshot is only a cache keyed by `<repository>@<manifest digest>`. A manifest's
 * digest fixes its config blob and layer, so a cached record can never be stale for its key;
 * which keys are live is always read from the store (`tagRecords`), never from the snapshot.
 * A missing, corrupt or foreign snapshot is ignored. Format: JSON lines, the first line a header
 * `{"v":1,"artifactType":…}`, then one record per line; written to a temp file and renamed.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import type { Logger } from '../../log/index.js';
import type { PackageRecord } from './package-store.js';

const MIN_INTERVAL_MS = 5_000;

export function snapshotKey(repository: string, manifestDigest: string): string {
  return `${repository}@${manifestDigest}`;
}

/** Records of a snapshot by `snapshotKey`; empty when there is no usable snapshot. */
export async function readSnapshot<M>(file: string, artifactType: string, log?: Logger): Promise<Map<string, PackageRecord<M>>> {
  const out = new Map<string, PackageRecord<M>>();
  try {
    const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    let header = true;
    for await (const line of lines) {
      const value = JSON.parse(line) as Record<string, unknown>;
      if (header) {
        if (value.v !== 1 || value.artifactType !== artifactType) return new Map();
        header = false;
        continue;
      }
      const record = value as unknown as PackageRecord<M>;
      if (typeof record.repository !== 'string' || typeof record.manifestDigest !== 'string') return new Map();
      out.set(snapshotKey(record.repository, record.manifestDigest), record);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log?.warn({ file, err }, 'package index snapshot ignored');
    return new Map();
  }
  return out;
}

async function writeSnapshot<M>(file: string, artifactType: string, records: Iterable<PackageRecord<M>>): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  const out = createWriteStream(temp, { mode: 0o600 });
  try {
    const write = async (line: string): Promise<void> => {
      if (!out.write(line + '\n')) await once(out, 'drain');
    };
    await write(JSON.stringify({ v: 1, artifactType }));
    for (const record of records) await write(JSON.stringify(record));
    out.end();
    await once(out, 'finish');
    await rename(temp, file);
  } catch (err) {
    out.destroy();
    await rm(temp, { force: true });
    throw err;
  }
}

/**
 * Writes snapshots at most every 5 s: the first change is written at once, later ones are
 * coalesced into one write when the interval has passed. Failures are logged, never thrown.
 */
export class SnapshotWriter<M> {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private lastWrite = 0;

  constructor(
    private readonly file: string,
    private readonly artifactType: string,
    private readonly records: () => Iterable<PackageRecord<M>>,
    private readonly log?: Logger,
  ) {}

  schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastWrite + MIN_INTERVAL_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, wait);
    this.timer.unref();
  }

  /** Writes now (after any write in flight). */
  async flush(): Promise<void> {
    await this.writing;
    this.lastWrite = Date.now();
    this.writing = writeSnapshot(this.file, this.artifactType, this.records()).catch((err: unknown) => {
      this.log?.warn({ file: this.file, err }, 'package index snapshot not written');
    });
    await this.writing;
    this.writing = undefined;
  }
}
