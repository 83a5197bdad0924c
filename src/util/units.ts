/**
 * Units of the topology and site config: durations (`60s`, `5m`, `1h30m`, `500ms`, `7d`) and
 * bandwidths (`50Mbit/s`, `10MB/s`, `1Gbit/s`, `512KiB/s`). The patterns match the schemas'
 * `duration` and `bandwidth` definitions (schemas/common.schema.json).
 */

const DURATION = /^(?:[0-9]+(?:ms|s|m|h|d))+$/;
const DURATION_PART = /([0-9]+)(ms|s|m|h|d)/g;
const DURATION_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration string, or undefined when it is not one (or overflows). */
export function parseDuration(text: string): number | undefined {
  if (typeof text !== 'string' || text.length > 64 || !DURATION.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(DURATION_PART)) {
    total += Number(m[1]) * DURATION_MS[m[2]!]!;
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

const BANDWIDTH = /^([0-9]+(?:\.[0-9]+)?) ?([kKMGT]i?)?(bit\/s|b\/s|B\/s|bps|Bps)$/;
const PREFIX: Record<string, number> = {
  '': 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  ki: 1024,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/**
 * Bytes per second of a bandwidth string, or undefined when it is not one. `bit`/`b`/`bps` are
 * bits (divided by 8), `B`/`Bps` are bytes; k/M/G/T are powers of 1000, Ki/Mi/Gi/Ti of 1024.
 */
export function parseBandwidth(text: string): number | undefined {
  if (typeof text !== 'string' || text.length > 64) return undefined;
  const m = BANDWIDTH.exec(text);
  if (!m) return undefined;
  const value = Number(m[1]) * PREFIX[m[2] ?? '']!;
  const bytes = m[3] === 'B/s' || m[3] === 'Bps' ? value : value / 8;
  return Number.isFinite(bytes) ? bytes : undefined;
}
