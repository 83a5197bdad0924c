/**
 * Server error codes and the ONE place where FerryError codes become HTTP answers.
 *
 * Under `/v2` every error is the distribution spec's envelope
 * (https://github.com/opencontainers/distribution-spec/blob/v1.1.0/spec.md#error-codes):
 * `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"…","detail":{…}}]}`. Elsewhere
 * (`/api/v1`, `/healthz`) the body is `{"error":{"code":"<FerryError code>","message":"…"}}`.
 *
 * Codes thrown by other domains (the store's `OCI_MANIFEST_UNKNOWN`, `OCI_BLOB_DIGEST_MISMATCH`
 * …) are mapped by the explicit table first, then by their suffix (`*_BLOB_UNKNOWN` →
 * `BLOB_UNKNOWN`), so a backend does not have to know about HTTP. Anything unknown is a 500 whose
 * body says only "internal error" (the details go to the log, never to the client).
 */
import type { ErrorRequestHandler, Request, Response } from 'express';
import type { Logger } from 'pino';
import { ErrorCode, FerryError, errorMessage, isFerryError } from '../errors/index.js';
import { AuthErrorCode } from './auth/errors.js';

export const ServerErrorCode = {
  nameInvalid: 'SERVER_NAME_INVALID',
  nameUnknown: 'SERVER_NAME_UNKNOWN',
  digestInvalid: 'SERVER_DIGEST_INVALID',
  referenceInvalid: 'SERVER_MANIFEST_INVALID',
  manifestInvalid: 'SERVER_MANIFEST_INVALID',
  manifestUnknown: 'SERVER_MANIFEST_UNKNOWN',
  manifestBlobUnknown: 'SERVER_MANIFEST_BLOB_UNKNOWN',
  blobUnknown: 'SERVER_BLOB_UNKNOWN',
  uploadUnknown: 'SERVER_BLOB_UPLOAD_UNKNOWN',
  uploadInvalid: 'SERVER_BLOB_UPLOAD_INVALID',
  /** PATCH whose Content-Range does not start where the upload ends (416). */
  uploadRangeInvalid: 'SERVER_UPLOAD_RANGE_INVALID',
  /** GET with a Range outside the blob (416). */
  rangeNotSatisfiable: 'SERVER_RANGE_NOT_SATISFIABLE',
  sizeInvalid: 'SERVER_SIZE_INVALID',
  /** Body over a size cap (413). */
  tooLarge: 'SERVER_TOO_LARGE',
  /** Operation the server does not offer (405). */
  unsupported: 'SERVER_UNSUPPORTED',
  /** No such endpoint (404). */
  routeUnknown: 'SERVER_ROUTE_UNKNOWN',
  tooManyRequests: 'SERVER_TOO_MANY_REQUESTS',
  /** Bad query parameter outside /v2 (400). */
  badRequest: 'SERVER_BAD_REQUEST',
} as const;

const RETRY_AFTER_SECONDS = 10;

/** The distribution spec's error codes with their usual status. */
const ociCodes = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
  TOOMANYREQUESTS: 429,
} as const;
type OciCode = keyof typeof ociCodes | 'UNKNOWN';

interface HttpMapping {
  status: number;
  oci: OciCode;
}

/** Codes whose status or OCI code differs from what their suffix says. */
const explicit: Record<string, HttpMapping> = {
  [AuthErrorCode.unauthorized]: { status: 401, oci: 'UNAUTHORIZED' },
  [AuthErrorCode.denied]: { status: 403, oci: 'DENIED' },
  [ServerErrorCode.uploadRangeInvalid]: { status: 416, oci: 'BLOB_UPLOAD_INVALID' },
  [ServerErrorCode.rangeNotSatisfiable]: { status: 416, oci: 'SIZE_INVALID' },
  [ServerErrorCode.tooLarge]: { status: 413, oci: 'SIZE_INVALID' },
  [ServerErrorCode.routeUnknown]: { status: 404, oci: 'UNSUPPORTED' },
  [ServerErrorCode.tooManyRequests]: { status: 429, oci: 'TOOMANYREQUESTS' },
  [ServerErrorCode.badRequest]: { status: 400, oci: 'UNSUPPORTED' },
  OCI_BLOB_DIGEST_MISMATCH: { status: 400, oci: 'DIGEST_INVALID' },
  OCI_BLOB_SIZE_MISMATCH: { status: 400, oci: 'SIZE_INVALID' },
  [ErrorCode.tooLarge]: { status: 413, oci: 'SIZE_INVALID' },
  // The store's codes (src/store/errors.ts) that a suffix would not map right.
  STORE_FEED_UNKNOWN: { status: 404, oci: 'NAME_UNKNOWN' },
  STORE_FEED_INVALID: { status: 400, oci: 'NAME_INVALID' },
  STORE_FEED_TYPE_MISMATCH: { status: 403, oci: 'DENIED' },
  OCI_TAG_INVALID: { status: 400, oci: 'MANIFEST_INVALID' },
  OCI_RANGE_INVALID: { status: 416, oci: 'SIZE_INVALID' },
  OCI_MANIFEST_TOO_LARGE: { status: 413, oci: 'SIZE_INVALID' },
  OCI_UNSUPPORTED_MEDIA_TYPE: { status: 400, oci: 'MANIFEST_INVALID' },
  [ErrorCode.invalidInput]: { status: 400, oci: 'UNSUPPORTED' },
  [ErrorCode.notFound]: { status: 404, oci: 'NAME_UNKNOWN' },
};

// Longest first, so MANIFEST_BLOB_UNKNOWN wins over BLOB_UNKNOWN.
const suffixes = (Object.keys(ociCodes) as Array<keyof typeof ociCodes>).sort((a, b) => b.length - a.length);

/** HTTP status and OCI code for a FerryError code; undefined when the code is not an HTTP-level one. */
export function httpMapping(code: string): HttpMapping | undefined {
  const hit = explicit[code];
  if (hit) return hit;
  for (const suffix of suffixes) {
    if (code === suffix || code.endsWith(`_${suffix}`)) return { status: ociCodes[suffix], oci: suffix };
  }
  return undefined;
}

/** `WWW-Authenticate` value for a 401 (Basic only: a Bearer challenge would send clients to a token server). */
export function challenge(realm: string): string {
  return `Basic realm="${realm.replace(/["\\]/g, '')}", charset="UTF-8"`;
}

export function isV2Request(req: Request): boolean {
  return req.originalUrl === '/v2' || req.originalUrl.startsWith('/v2/') || req.originalUrl.startsWith('/v2?');
}

export interface ErrorHandlerOptions {
  log: Logger;
  realm: () => string;
}

/** The error middleware: FerryError → status + envelope; everything else → 500 without details. */
export function createErrorHandler({ log, realm }: ErrorHandlerOptions): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      log.warn({ method: req.method, path: req.path, err: errorMessage(err) }, 'error after response started');
      res.destroy();
      return;
    }
    const mapped = isFerryError(err) ? httpMapping(err.code) : bodyParserMapping(err);
    if (!mapped) {
      log.error({ method: req.method, path: req.path, err }, 'unhandled error');
      send(req, res, 500, 'UNKNOWN', ErrorCode.internal, 'internal error', undefined);
      return;
    }
    if (mapped.status === 401) res.setHeader('WWW-Authenticate', challenge(realm()));
    if (mapped.status === 429) res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    const ferry = isFerryError(err) ? err : undefined;
    const message = ferry?.message ?? errorMessage(err);
    send(req, res, mapped.status, mapped.oci, ferry?.code ?? ErrorCode.invalidInput, message, ferry?.data);
    void next;
  };
}

function bodyParserMapping(err: unknown): HttpMapping | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  if (status === 413) return { status: 413, oci: 'SIZE_INVALID' };
  if (typeof status === 'number' && status >= 400 && status < 500) return { status, oci: 'UNSUPPORTED' };
  return undefined;
}

function send(req: Request, res: Response, status: number, oci: OciCode, code: string, message: string, data: unknown): void {
  res.status(status);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  if (isV2Request(req)) {
    const detail = data && typeof data === 'object' && Object.keys(data).length > 0 ? data : undefined;
    res.json({ errors: [{ code: oci, message, ...(detail ? { detail } : {}) }] });
  } else {
    res.json({ error: { code, message } });
  }
}

/** Shorthand for the server's own errors. */
export function serverError(code: string, message: string, data: Record<string, unknown> = {}): FerryError {
  return new FerryError(code, message, { data });
}
