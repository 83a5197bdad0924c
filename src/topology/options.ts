/** Limits of the loader, with visible defaults. */
export interface LoadOptions {
  /** Largest single file read, in bytes (default 1 MiB). */
  maxFileBytes?: number;
  /** Largest sum of file sizes, in bytes (default 64 MiB). */
  maxTotalBytes?: number;
  /** Most YAML files read (default 20,000). */
  maxFiles?: number;
  /** Most alias expansions per document (default 100): bounds "billion laughs". */
  maxAliasCount?: number;
  /** Most issues reported per file before semantic checks (default 100). */
  maxIssuesPerFile?: number;
  /** Most YAML documents read from one file, empty ones included (default 10,000). */
  maxDocuments?: number;
}

export type ResolvedLoadOptions = Required<LoadOptions>;

export function resolveLoadOptions(options: LoadOptions = {}): ResolvedLoadOptions {
  return {
    maxFileBytes: options.maxFileBytes ?? 1024 * 1024,
    maxTotalBytes: options.maxTotalBytes ?? 64 * 1024 * 1024,
    maxFiles: options.maxFiles ?? 20_000,
    maxAliasCount: options.maxAliasCount ?? 100,
    maxIssuesPerFile: options.maxIssuesPerFile ?? 100,
    maxDocuments: options.maxDocuments ?? 10_000,
  };
}
