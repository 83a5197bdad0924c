/**
 * Errors shared by every domain of ferry.
 *
 * Contract: every error ferry raises on purpose is a `FerryError` with a stable `code`
 * (tests assert on it, never on the message), a `data` payload safe to log (no secrets),
 * and a `next` hint that tells a loop what to do about it (Flux's Stalling / Waiting / Generic):
 *   - `fix`     a human must change something (bad config, wrong token); retrying is pointless
 *   - `retry`   retry after a delay (the peer said 429/503, a window is closed)
 *   - `backoff` transient (network, 5xx): retry with exponential backoff and jitter
 *
 * Domains declare their own codes next to their code (e.g. `OCI_BLOB_DIGEST_MISMATCH`) with the
 * prefix of their folder; this file keeps only the shared base and generic codes.
 */
export const NextAction = {
  fix: 'fix',
  retry: 'retry',
  backoff: 'backoff',
} as const;
export type NextAction = (typeof NextAction)[keyof typeof NextAction];

export interface FerryErrorOptions<D> {
  data?: D;
  next?: NextAction;
  cause?: unknown;
}

export class FerryError<D extends Record<string, unknown> = Record<string, unknown>> extends Error {
  readonly code: string;
  readonly data: D;
  readonly next: NextAction;

  constructor(code: string, message: string, options: FerryErrorOptions<D> = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FerryError';
    this.code = code;
    this.data = options.data ?? ({} as D);
    this.next = options.next ?? NextAction.fix;
  }

  toJSON(): { code: string; message: string; data: D } {
    return { code: this.code, message: this.message, data: this.data };
  }
}

/** Generic codes used across domains. */
export const ErrorCode = {
  usage: 'USAGE',
  io: 'IO_ERROR',
  internal: 'INTERNAL',
  notFound: 'NOT_FOUND',
  invalidInput: 'INVALID_INPUT',
  tooLarge: 'TOO_LARGE',
} as const;

export function isFerryError(err: unknown, code?: string): err is FerryError {
  return err instanceof FerryError && (code === undefined || err.code === code);
}

/** A message for any thrown value, without stack; safe to print to users. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
