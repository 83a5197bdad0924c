/** parseDuration / parseBandwidth: the values the controller later schedules and throttles by. */
import { describe, expect, it } from 'vitest';
import { parseBandwidth, parseDuration } from '../../src/util/index.js';

describe('parseDuration', () => {
  it.each([
    ['60s', 60_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['7d', 604_800_000],
    ['1h0m5s', 3_605_000],
    ['0s', 0],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '5', 'm', '5 m', '1.5h', '-1s', '5M', '1w', '1h 30m', '9'.repeat(30) + 'd', 'ms'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('parseBandwidth', () => {
  it.each([
    ['50Mbit/s', 6_250_000],
    ['10MB/s', 10_000_000],
    ['1Gbit/s', 125_000_000],
    ['512KiB/s', 524_288],
    ['100kbit/s', 12_500],
    ['1.5MB/s', 1_500_000],
    ['8b/s', 1],
    ['2MiB/s', 2_097_152],
    ['10Mbps', 1_250_000],
    ['1TB/s', 1e12],
    ['50 Mbit/s', 6_250_000],
  ])('%s → %d bytes/s', (text, bytes) => {
    expect(parseBandwidth(text)).toBe(bytes);
  });

  it.each(['', '50', '50  Mbit/s', ' 50Mbit/s', 'Mbit/s', '50Mbit', '50mbit/s', '50XB/s', '-5MB/s', '5MB/h'])('rejects %j', (text) => {
    expect(parseBandwidth(text)).toBeUndefined();
  });
});
