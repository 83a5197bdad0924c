/**
 * One byte-rate cap shared by every transfer a site starts (`Site.spec.bandwidth`).
 *
 * A token bucket refilled at `bytesPerSecond`, with a burst of at most `burstBytes` (default a
 * quarter second of traffic, at least 64 KiB). Callers `take(n)` before passing n bytes on; when
 * several transfers share one limiter they share the rate, in FIFO order, so the cap holds for
 * the site as a whole. `throttle()` wraps this as a Transform for stream pipelines.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RateLimiter {
  readonly bytesPerSecond: number;
  /** Resolves when `bytes` may be sent. */
  take(bytes: number): Promise<void>;
  /** A pass-through stream that paces data through this limiter. */
  throttle(): Transform;
}

export interface RateLimiterOptions {
  bytesPerSecond: number;
  burstBytes?: number;
  now?: () => number;
}

export function createRateLimiter({ bytesPerSecond, burstBytes, now = () => performance.now() }: RateLimiterOptions): RateLimiter {
  if (!(bytesPerSecond > 0)) throw new RangeError('bytesPerSecond must be positive');
  const capacity = burstBytes ?? Math.max(64 * 1024, Math.floor(bytesPerSecond / 4));
  let available = capacity;
  let last = now();
  // Serialises waiters so a large request cannot be starved by small ones.
  let queue: Promise<void> = Promise.resolve();

  const refill = (): void => {
    const t = now();
    available = Math.min(capacity, available + ((t - last) / 1000) * bytesPerSecond);
    last = t;
  };

  const takeNow = async (bytes: number): Promise<void> => {
    let remaining = bytes;
    while (remaining > 0) {
      refill();
      const chunk = Math.min(remaining, capacity);
      if (available >= chunk) {
        available -= chunk;
        remaining -= chunk;
        continue;
      }
      await sleep(Math.ceil(((chunk - available) / bytesPerSecond) * 1000));
    }
  };

  const limiter: RateLimiter = {
    bytesPerSecond,
    take(bytes) {
      const turn = queue.then(() => takeNow(bytes));
      queue = turn.catch(() => undefined);
      return turn;
    },
    throttle() {
      return new Transform({
        transform(chunk: Buffer, _encoding, callback: TransformCallback) {
          limiter.take(chunk.length).then(() => callback(null, chunk), callback);
        },
      });
    },
  };
  return limiter;
}
