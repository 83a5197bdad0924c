/** Exit codes of every `ferry` command. */
export const ExitCode = {
  ok: 0,
  /** The input was read and is invalid / the operation failed / (diff) something changed. */
  failed: 1,
  /** Usage error, unreadable input, I/O failure. */
  usage: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
