/**
 * Logging: pino JSON with static messages plus data (`log.warn({ feed, digest }, 'blob digest mismatch')`).
 *
 * Contract: secrets never reach a log line. Known secret-bearing paths are redacted here, once,
 * and URLs must go through `sanitizeUrl()` (src/util) before they are logged.
 */
import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

export const redactPaths = [
  'token',
  'password',
  'secret',
  'authorization',
  '*.token',
  '*.password',
  '*.secret',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["x-nuget-apikey"]',
  'req.headers["x-hub-signature-256"]',
  'req.headers["x-gitlab-token"]',
];

export interface CreateLoggerOptions {
  level?: string;
  name?: string;
  /** Destination stream; defaults to stdout. Tests pass a buffer to assert on lines. */
  destination?: NodeJS.WritableStream;
}

export function createLogger({ level = process.env.FERRY_LOG_LEVEL ?? 'info', name = 'ferry', destination }: CreateLoggerOptions = {}): Logger {
  const options: LoggerOptions = { level, name, redact: { paths: redactPaths, censor: '[redacted]' } };
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}

/** A logger that drops everything: the default for library code and tests that do not care. */
export const silentLogger: Logger = pino({ level: 'silent' });
