/**
 * Value checks the schema cannot express: cron, time zones, windows, globs, semver ranges,
 * bandwidth and duration magnitudes, selector operators, incoming rules.
 */
import { CronExpressionParser } from 'cron-parser';
import picomatch from 'picomatch';
import semver from 'semver';
import type { AnyResource, LabelSelector, Site } from '../model.js';
import { IssueCode } from '../codes.js';
import { parseBandwidth, parseDuration } from '../../util/units.js';
import type { CheckContext } from './context.js';

const zoneCache = new Map<string, boolean>();

/** IANA time zone known to this runtime's Intl. */
export function isValidTimeZone(zone: string): boolean {
  let ok = zoneCache.get(zone);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      ok = true;
    } catch {
      ok = false;
    }
    zoneCache.set(zone, ok);
  }
  return ok;
}

const cronCache = new Map<string, string | undefined>();

/** undefined when the cron expression parses, else the reason. */
export function cronProblem(expr: string): string | undefined {
  if (cronCache.has(expr)) return cronCache.get(expr);
  let problem: string | undefined;
  const fields = expr.trim().split(/\s+/);
  if (!expr.trim().startsWith('@') && (fields.length < 5 || fields.length > 6)) {
    problem = `expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds, got ${fields.length}`;
  } else {
    try {
      CronExpressionParser.parse(expr, { tz: 'UTC' });
    } catch (err) {
      problem = (err as Error).message.split('\n')[0];
    }
  }
  cronCache.set(expr, problem);
  return problem;
}

const globCache = new Map<string, string | undefined>();

/** undefined when the glob is usable, else the reason (unbalanced brackets, empty …). */
export function globProblem(glob: string): string | undefined {
  if (globCache.has(glob)) return globCache.get(glob);
  let problem: string | undefined;
  if (glob.trim() === '') problem = 'empty pattern';
  else if (/\s/.test(glob)) problem = 'whitespace in a pattern';
  else problem = unbalanced(glob);
  if (!problem) {
    try {
      picomatch.makeRe(glob, { strictBrackets: true });
    } catch (err) {
      problem = (err as Error).message.split('\n')[0];
    }
  }
  globCache.set(glob, problem);
  return problem;
}

function unbalanced(glob: string): string | undefined {
  const pairs: Record<string, string> = { ']': '[', '}': '{', ')': '(' };
  const stack: string[] = [];
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[' || c === '{' || c === '(') stack.push(c);
    else if (c in pairs) {
      if (stack.pop() !== pairs[c]) return `unbalanced "${c}"`;
    }
  }
  return stack.length > 0 ? `unclosed "${stack[stack.length - 1]}"` : undefined;
}

export function checkGlobs(ctx: CheckContext, res: AnyResource, globs: readonly string[] | undefined, path: Array<string | number>): void {
  (globs ?? []).forEach((glob, i) => {
    const problem = globProblem(glob);
    if (problem) ctx.error(IssueCode.invalidGlob, `glob "${glob.slice(0, 80)}" is invalid: ${problem}`, res, [...path, i]);
  });
}

export function checkSelector(ctx: CheckContext, res: AnyResource, sel: LabelSelector | undefined, path: string[]): void {
  (sel?.matchExpressions ?? []).forEach((e, i) => {
    const needsValues = e.operator === 'In' || e.operator === 'NotIn';
    if (needsValues && (e.values === undefined || e.values.length === 0)) {
      ctx.error(IssueCode.invalidSelector, `operator ${e.operator} needs a non-empty "values" list`, res, [...path, 'matchExpressions', i, 'operator']);
    } else if (!needsValues && e.values !== undefined) {
      ctx.error(IssueCode.invalidSelector, `operator ${e.operator} takes no "values"`, res, [...path, 'matchExpressions', i, 'values'], true);
    }
  });
}

export function checkSiteValues(ctx: CheckContext, site: Site, tokenOwners: Map<string, { site: Site; index: number }>, mayShareToken: (a: string, b: string) => boolean = () => false): void {
  const { spec } = site;
  if (spec.bandwidth !== undefined && !((parseBandwidth(spec.bandwidth) ?? 0) > 0)) {
    ctx.error(IssueCode.invalidBandwidth, `bandwidth "${spec.bandwidth}" must be greater than zero (omit it for no cap)`, site, ['spec', 'bandwidth']);
  }
  (spec.windows ?? []).forEach((w, i) => {
    const path = ['spec', 'windows', i];
    if (w.timeZone !== undefined && !isValidTimeZone(w.timeZone)) {
      ctx.error(IssueCode.invalidTimeZone, `time zone "${w.timeZone.slice(0, 64)}" is not an IANA time zone (e.g. "Europe/Berlin", "America/Chicago", "UTC")`, site, [...path, 'timeZone']);
    }
    if (w.start === w.end || (w.start === '00:00' && w.end === '00:00')) {
      ctx.error(IssueCode.invalidWindow, `window start and end are both "${w.start}": the window would be empty; for all day use start "00:00", end "24:00"`, site, [...path, 'end']);
    } else if (w.start === '24:00') {
      ctx.error(IssueCode.invalidWindow, 'a window cannot start at "24:00"; use "00:00"', site, [...path, 'start']);
    }
    const days = w.days ?? [];
    const dup = days.find((d, k) => days.indexOf(d) !== k);
    if (dup) ctx.warn(IssueCode.invalidWindow, `day "${dup}" is listed twice`, site, [...path, 'days', days.lastIndexOf(dup)]);
  });
  const names = new Map<string, number>();
  (spec.incoming ?? []).forEach((rule, i) => {
    const path = ['spec', 'incoming', i];
    const first = names.get(rule.name);
    if (first !== undefined) {
      ctx.error(IssueCode.duplicateIncomingName, `incoming rule "${rule.name}" is defined twice in this site (first at spec.incoming[${first}])`, site, [...path, 'name']);
    } else {
      names.set(rule.name, i);
    }
    const owner = tokenOwners.get(rule.tokenSha256);
    if (owner && !mayShareToken(owner.site.metadata.name, site.metadata.name)) {
      ctx.warn(IssueCode.duplicateTokenHash, `the same token hash is already used by site "${owner.site.metadata.name}" incoming[${owner.index}] (${ctx.where(owner.site)}): give each connection its own token (\`ferry token new\`) so one can be revoked alone`, site, [...path, 'tokenSha256']);
    } else if (!owner) {
      tokenOwners.set(rule.tokenSha256, { site, index: i });
    }
    checkGlobs(ctx, site, rule.feeds, [...path, 'feeds']);
  });
}

export function checkDurations(ctx: CheckContext, res: AnyResource, value: string | undefined, path: string[]): void {
  if (value !== undefined && !((parseDuration(value) ?? 0) > 0)) {
    ctx.error(IssueCode.invalidDuration, `duration "${value}" must be greater than zero`, res, path);
  }
}

export function checkSchedule(ctx: CheckContext, res: AnyResource, schedule: string | undefined): void {
  if (schedule === undefined) return;
  const problem = cronProblem(schedule);
  if (problem) ctx.error(IssueCode.invalidCron, `schedule "${schedule.slice(0, 80)}" is not a valid cron expression: ${problem}`, res, ['spec', 'schedule']);
}

export function checkSemver(ctx: CheckContext, res: AnyResource, range: string | undefined): void {
  if (range !== undefined && semver.validRange(range) === null) {
    ctx.error(IssueCode.invalidSemverRange, `"${range.slice(0, 80)}" is not a valid semver range (e.g. ">=1.2.0 <2", "^1.4", "~2.0.1")`, res, ['spec', 'filter', 'semver']);
  }
}
