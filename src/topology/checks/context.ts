/** Shared state of the semantic checks: name indexes, feed hosts, positioned issue helpers. */
import type { AnyResource, Feed, Kind, Severity, Site, SourcePosition, Topology, Upstream, ValidationIssue } from '../model.js';
import type { IssueCode } from '../codes.js';
import { makeIssue, toPointer } from '../issues.js';
import type { Entry, KnownNames } from '../resources.js';
import { feedHosts } from '../select.js';

export class CheckContext {
  readonly issues: ValidationIssue[] = [];
  readonly sites = new Map<string, Site>();
  readonly feeds = new Map<string, Feed>();
  readonly upstreams = new Map<string, Upstream>();
  private readonly entries = new Map<AnyResource, Entry>();
  private readonly hostCache = new Map<Feed, Set<string>>();
  private readonly partial = new Set<AnyResource>();
  /** "Did you mean" suggestions still allowed in this run (each scans all names of a kind). */
  hintsLeft = 50;

  /**
   * @param topology valid and salvaged resources
   * @param incomplete kinds with a resource missing or salvaged (checks that conclude "nothing
   *   matches" or "never used" are skipped for them: the missing part may be what matches)
   */
  constructor(
    readonly topology: Topology,
    entries: Entry[],
    readonly known: KnownNames,
    readonly incomplete: ReadonlySet<Kind> = new Set(),
  ) {
    for (const e of entries) {
      this.entries.set(e.res, e);
      if (e.partial) this.partial.add(e.res);
    }
    for (const s of topology.sites) this.sites.set(s.metadata.name, s);
    for (const f of topology.feeds) this.feeds.set(f.metadata.name, f);
    for (const u of topology.upstreams) this.upstreams.set(u.metadata.name, u);
  }

  /** Names of sites hosting the feed (cached). */
  hosts(feed: Feed): Set<string> {
    let set = this.hostCache.get(feed);
    if (!set) {
      set = new Set(feedHosts(this.topology, feed).map((s) => s.metadata.name));
      this.hostCache.set(feed, set);
    }
    return set;
  }

  /** Position of a path inside a resource's document. */
  at(res: AnyResource, path: ReadonlyArray<string | number>, key = false): SourcePosition {
    const entry = this.entries.get(res);
    if (!entry) return res.source;
    return { ...entry.locate(path, { key }), file: entry.file };
  }

  report(severity: Severity, code: IssueCode, message: string, res: AnyResource, path: ReadonlyArray<string | number>, key = false): void {
    this.issues.push(makeIssue(severity, code, message, this.at(res, path, key), toPointer(path)));
  }

  error(code: IssueCode, message: string, res: AnyResource, path: ReadonlyArray<string | number>, key = false): void {
    this.report('error', code, message, res, path, key);
  }

  warn(code: IssueCode, message: string, res: AnyResource, path: ReadonlyArray<string | number>, key = false): void {
    this.report('warning', code, message, res, path, key);
  }

  /** "a.yaml:3" of a resource, for messages that point at a second place. */
  where(res: AnyResource): string {
    return `${res.source.file}:${res.source.line}`;
  }

  /** The resource failed the schema and is a salvaged copy: facts about it may be missing. */
  isPartial(res: AnyResource | undefined): boolean {
    return res !== undefined && this.partial.has(res);
  }

  /** A site name exists in the files (even if that site failed the schema). */
  siteKnown(name: string): boolean {
    return this.known.Site.has(name);
  }
}

/** "a, b, c and 4 more" */
export function listNames(names: string[], max = 5): string {
  if (names.length <= max) return names.join(', ');
  return `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}
