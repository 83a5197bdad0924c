import { describe, expect, it } from 'vitest';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createRateLimiter } from '../../src/replicate/bandwidth.js';

/** Pipes `total` bytes through the limiter's throttle and returns the elapsed milliseconds. */
async function timedTransfer(limiter: ReturnType<typeof createRateLimiter>, total: number): Promise<number> {
  const chunk = Buffer.alloc(16 * 1024);
  let sent = 0;
  const source = new Readable({
    read() {
      if (sent >= total) return this.push(null);
      sent += chunk.length;
      this.push(chunk);
    },
  });
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const started = performance.now();
  await pipeline(source, limiter.throttle(), sink);
  return performance.now() - started;
}

describe('rate limiter', () => {
  it('caps one transfer near the configured rate', async () => {
    const limiter = createRateLimiter({ bytesPerSecond: 1024 * 1024, burstBytes: 64 * 1024 });
    const elapsed = await timedTransfer(limiter, 512 * 1024);
    // 512 KiB at 1 MiB/s with a 64 KiB burst: at least ~440 ms.
    expect(elapsed).toBeGreaterThan(380);
  });

  it('shares one cap across concurrent transfers', async () => {
    const limiter = createRateLimiter({ bytesPerSecond: 1024 * 1024, burstBytes: 64 * 1024 });
    const started = performance.now();
    await Promise.all([timedTransfer(limiter, 256 * 1024), timedTransfer(limiter, 256 * 1024)]);
    // Two × 256 KiB through one 1 MiB/s cap takes as long as one 512 KiB transfer.
    expect(performance.now() - started).toBeGreaterThan(380);
  });

  it('rejects a non-positive rate', () => {
    expect(() => createRateLimiter({ bytesPerSecond: 0 })).toThrow(RangeError);
  });
});
