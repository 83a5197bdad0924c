/** Small text helpers shared by the plan and diff renderers. */
import type { ReplicationFilter, SecretRef, SyncWindow } from '../topology/model.js';
import type { PlannedPeer } from './types.js';

/** Pads every column but the last to its widest cell; rows joined with two spaces. */
export function alignColumns(rows: string[][], indent = ''): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...cell].length)));
  return rows.map((row) => indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - [...cell].length))).join('  ').trimEnd());
}

export function formatWindow(w: SyncWindow): string {
  const days = w.days === undefined || w.days.length === 0 ? 'every day' : w.days.join(',');
  return `${days} ${w.start}-${w.end} ${w.timeZone ?? 'UTC'}`;
}

export function formatWindows(windows: readonly SyncWindow[]): string {
  return windows.length === 0 ? 'always' : windows.map(formatWindow).join('; ');
}

export function formatPeer(p: PlannedPeer): string {
  return p.url === undefined ? `${p.site} (no url)` : `${p.site} ${p.url}`;
}

export function formatSecretRef(ref: SecretRef): string {
  return ref.env !== undefined ? `env ${ref.env}` : `file ${ref.file ?? ''}`;
}

export function formatFilter(filter: ReplicationFilter | undefined): string {
  if (filter === undefined) return 'everything';
  const parts: string[] = [];
  if (filter.include?.length) parts.push(`include ${filter.include.join(', ')}`);
  if (filter.exclude?.length) parts.push(`exclude ${filter.exclude.join(', ')}`);
  if (filter.tags?.length) parts.push(`tags ${filter.tags.join(', ')}`);
  if (filter.semver !== undefined) parts.push(`semver ${filter.semver}`);
  return parts.length === 0 ? 'everything' : parts.join('; ');
}

/** A compact one-line rendering of any JSON value for "before → after" lines. */
export function formatValue(value: unknown): string {
  if (value === undefined) return '(unset)';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}
