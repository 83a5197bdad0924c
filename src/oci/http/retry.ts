/**
 * Retry layer: retries network failures (OCI_CONNECTION / OCI_TIMEOUT) and HTTP 429, 500, 502,
 * 503, 504 with exponential backoff and full jitter, honouring `Retry-After` (seconds or an
 * HTTP date) on 429/503. Bounded by `maxAttempts` and by `deadlineMs` since the first attempt:
 * a wait that would cross the deadline is not started. A request whose body is a bare stream
 * (consumed by the first attempt) is never retried; Buffer and `replay` bodies are.
 * After the last attempt the last response is returned as is (the caller maps its status).
 */
import { FerryError, NextAction } from '../../errors/index.js';
import { drain, header, isReplayable, type HttpResponse, type Send } from './types.js';

export interface RetryOptions {
  maxAttempts?: number;
  deadlineMs?: number;
  /** First backoff step; doubles per attempt (full jitter). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Largest Retry-After honoured; longer asks make the request fail with OCI_TOO_MANY_REQUESTS. */
  maxRetryAfterMs?: number;
}

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);

export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

export function withRetry(next: Send, { maxAttempts = 5, deadlineMs = 120_000, baseDelayMs = 200, maxDelayMs = 10_000, maxRetryAfterMs = 60_000 }: RetryOptions = {}): Send {
  return async (request) => {
    const started = Date.now();
    const replayable = isReplayable(request.body);
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= maxAttempts || !replayable;
      const backoff = Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
      let response: HttpResponse;
      try {
        response = await next(request);
      } catch (err) {
        const transient = err instanceof FerryError && err.next === NextAction.backoff;
        if (!transient || last || Date.now() + backoff - started > deadlineMs) throw err;
        await sleep(backoff, request.signal);
        continue;
      }
      if (!RETRY_STATUS.has(response.status) || last) return response;
      let delay = backoff;
      if (response.status === 429 || response.status === 503) {
        const asked = parseRetryAfter(header(response.headers, 'retry-after'));
        if (asked !== undefined) {
          if (asked > maxRetryAfterMs) return response;
          delay = asked + Math.random() * 50;
        }
      }
      if (Date.now() + delay - started > deadlineMs) return response;
      await drain(response.body);
      await sleep(delay, request.signal);
    }
  };
}
