import { describe, expect, it } from 'vitest';
import { isWithinWindows, nextWindowOpen } from '../../src/replicate/window.js';
import type { SyncWindow } from '../../src/topology/model.js';

const weekNights: SyncWindow[] = [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '22:00', end: '06:00', timeZone: 'America/Chicago' }];

describe('sync windows', () => {
  it('is always open without windows', () => {
    expect(isWithinWindows(undefined, new Date('2026-11-26T12:00:00Z'))).toBe(true);
    expect(isWithinWindows([], new Date('2026-11-26T12:00:00Z'))).toBe(true);
  });

  it.each([
    // 2026-11-26 is a Thursday. Chicago is UTC-6 in November.
    ['2026-11-26T18:00:00Z', false], // Thu 12:00 local
    ['2026-11-27T04:30:00Z', true], // Thu 22:30 local
    ['2026-11-27T11:59:00Z', true], // Fri 05:59 local (opened Thu)
    ['2026-11-27T12:00:00Z', false], // Fri 06:00 local: end is exclusive
    ['2026-11-29T04:30:00Z', false], // Sat 22:30 local: Saturday is not listed
    ['2026-11-28T10:00:00Z', true], // Sat 04:00 local: opened Fri 22:00
    ['2026-11-30T10:00:00Z', false], // Mon 04:00 local: Sunday night is not listed
  ])('at %s open=%s', (iso, open) => {
    expect(isWithinWindows(weekNights, new Date(iso))).toBe(open);
  });

  it('same-day windows in UTC', () => {
    const w: SyncWindow[] = [{ start: '01:00', end: '03:00' }];
    expect(isWithinWindows(w, new Date('2026-11-26T02:59:00Z'))).toBe(true);
    expect(isWithinWindows(w, new Date('2026-11-26T03:00:00Z'))).toBe(false);
  });

  it('finds the next opening', () => {
    const next = nextWindowOpen(weekNights, new Date('2026-11-28T13:00:00Z')); // Sat 07:00 local
    expect(next?.toISOString()).toBe('2026-12-01T04:00:00.000Z'); // Mon 22:00 local
    const now = new Date('2026-11-27T04:30:00Z');
    expect(nextWindowOpen(weekNights, now)).toBe(now);
  });
});
