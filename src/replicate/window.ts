/**
 * Sync windows (`Site.spec.windows`): when a site may run the replications it starts.
 *
 * Contract: no windows means always open. A window is open from `start` (inclusive) to `end`
 * (exclusive) in its time zone (default UTC) on the listed `days` (default every day); when
 * `end` <= `start` the window spans midnight and `days` name the day it OPENS on
 * (`{days: [fri], start: "22:00", end: "06:00"}` is Friday 22:00 to Saturday 06:00).
 * Minute resolution; daylight-saving changes follow the zone's wall clock.
 */
import type { SyncWindow, Weekday } from '../topology/model.js';

const weekdays: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const formatters = new Map<string, Intl.DateTimeFormat>();

interface WallClock {
  day: Weekday;
  minutes: number;
}

function wallClock(at: Date, timeZone: string): WallClock {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, format);
  }
  let day: Weekday = 'sun';
  let hour = 0;
  let minute = 0;
  for (const part of format.formatToParts(at)) {
    if (part.type === 'weekday') day = part.value.toLowerCase().slice(0, 3) as Weekday;
    else if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return { day, minutes: hour * 60 + minute };
}

function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

function previousDay(day: Weekday): Weekday {
  return weekdays[(weekdays.indexOf(day) + 6) % 7] as Weekday;
}

function windowIsOpen(window: SyncWindow, at: Date): boolean {
  const { day, minutes } = wallClock(at, window.timeZone ?? 'UTC');
  const start = toMinutes(window.start);
  const end = toMinutes(window.end);
  const onDay = (d: Weekday): boolean => !window.days || window.days.length === 0 || window.days.includes(d);
  if (start < end) return onDay(day) && minutes >= start && minutes < end;
  // Spans midnight: open late on an opening day, or early on the day after one.
  return (onDay(day) && minutes >= start) || (onDay(previousDay(day)) && minutes < end);
}

/** True when replication may run at `at`. */
export function isWithinWindows(windows: readonly SyncWindow[] | undefined, at: Date = new Date()): boolean {
  if (!windows || windows.length === 0) return true;
  return windows.some((w) => windowIsOpen(w, at));
}

/**
 * The first minute at or after `from` when a window is open, or undefined if none opens within
 * `horizonDays` (only possible for windows with no valid day). Minute stepping is exact and
 * cheap enough for a scheduler that asks once per run.
 */
export function nextWindowOpen(windows: readonly SyncWindow[] | undefined, from: Date = new Date(), horizonDays = 8): Date | undefined {
  if (isWithinWindows(windows, from)) return from;
  const start = new Date(Math.ceil(from.getTime() / 60_000) * 60_000);
  for (let i = 0; i <= horizonDays * 24 * 60; i++) {
    const candidate = new Date(start.getTime() + i * 60_000);
    if (isWithinWindows(windows, candidate)) return candidate;
  }
  return undefined;
}
