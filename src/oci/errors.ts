/**
 * The OCI engine's error codes (one table, fastify-style) and the mapping from a registry's HTTP
 * answer to a FerryError. Every error names what it was about (repository, digest or reference)
 * and the sanitized URL, never a credential; `next` tells a loop whether to fix, retry or back off.
 */
import { FerryError, NextAction } from '../errors/index.js';
import { BlobFileErrorCode } from '../util/blob-file.js';

export const OciErrorCode = {
  unauthorized: 'OCI_UNAUTHORIZED',
  denied: 'OCI_DENIED',
  manifestUnknown: 'OCI_MANIFEST_UNKNOWN',
  blobUnknown: 'OCI_BLOB_UNKNOWN',
  nameUnknown: 'OCI_NAME_UNKNOWN',
  tooManyRequests: 'OCI_TOO_MANY_REQUESTS',
  connection: 'OCI_CONNECTION',
  tls: 'OCI_TLS',
  timeout: 'OCI_TIMEOUT',
  server: 'OCI_SERVER_ERROR',
  request: 'OCI_REQUEST_FAILED',
  unsupportedMediaType: 'OCI_UNSUPPORTED_MEDIA_TYPE',
  manifestTooLarge: 'OCI_MANIFEST_TOO_LARGE',
  manifestInvalid: 'OCI_MANIFEST_INVALID',
  manifestDigestMismatch: 'OCI_MANIFEST_DIGEST_MISMATCH',
  blobDigestMismatch: BlobFileErrorCode.digestMismatch,
  blobSizeMismatch: BlobFileErrorCode.sizeMismatch,
  digestInvalid: BlobFileErrorCode.invalidDigest,
  referenceInvalid: 'OCI_REFERENCE_INVALID',
  protocol: 'OCI_PROTOCOL',
  layoutInvalid: 'OCI_LAYOUT_INVALID',
} as const;
export type OciErrorCode = (typeof OciErrorCode)[keyof typeof OciErrorCode];

/** What a request was about, for error data and messages. */
export interface RequestSubject {
  repository?: string;
  digest?: string;
  reference?: string;
  /** Sanitized URL. */
  url?: string;
  method?: string;
}

export interface RegistryErrorEntry {
  code?: string;
  message?: string;
}

/** Parses the distribution spec error envelope `{"errors":[{code,message,detail}]}`; tolerant. */
export function parseErrorEnvelope(body: string): RegistryErrorEntry[] {
  try {
    const parsed = JSON.parse(body) as { errors?: unknown };
    if (!Array.isArray(parsed.errors)) return [];
    return parsed.errors
      .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
      .map((e) => ({ code: typeof e.code === 'string' ? e.code : undefined, message: typeof e.message === 'string' ? e.message : undefined }));
  } catch {
    return [];
  }
}

function what(subject: RequestSubject): string {
  const target = subject.digest ?? subject.reference;
  if (subject.repository && target) return `${subject.repository}${target.includes(':') ? '@' : ':'}${target}`;
  return subject.repository ?? subject.url ?? 'registry';
}

/**
 * Maps a non-success HTTP status (with the registry's error envelope) to a FerryError.
 * `notFound` picks the 404 code when the envelope does not say (manifest vs blob requests).
 */
export function errorFromResponse(
  status: number,
  body: string,
  subject: RequestSubject,
  extra: { notFound?: OciErrorCode; credential?: string; retryAfterMs?: number } = {},
): FerryError {
  const entries = parseErrorEnvelope(body);
  const registryCode = entries[0]?.code;
  const detail = entries.map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ');
  const suffix = detail ? ` (${detail})` : '';
  const data = { ...subject, status, registryCode, credential: extra.credential };
  const make = (code: OciErrorCode, message: string, next: NextAction): FerryError =>
    new FerryError(code, `${message}${suffix}`, { data: data as Record<string, unknown>, next });
  const name = what(subject);
  if (status === 401) return make(OciErrorCode.unauthorized, `unauthorized for ${name} with ${extra.credential ?? 'no credentials'}`, NextAction.fix);
  if (status === 403) return make(OciErrorCode.denied, `access to ${name} denied with ${extra.credential ?? 'no credentials'}`, NextAction.fix);
  if (status === 429) {
    const e = make(OciErrorCode.tooManyRequests, `registry rate-limited requests for ${name}`, NextAction.retry);
    if (extra.retryAfterMs !== undefined) (e.data as Record<string, unknown>).retryAfterMs = extra.retryAfterMs;
    return e;
  }
  if (status === 404 || registryCode === 'MANIFEST_UNKNOWN' || registryCode === 'BLOB_UNKNOWN' || registryCode === 'NAME_UNKNOWN') {
    if (registryCode === 'NAME_UNKNOWN') return make(OciErrorCode.nameUnknown, `repository ${subject.repository ?? name} not found`, NextAction.fix);
    if (registryCode === 'BLOB_UNKNOWN') return make(OciErrorCode.blobUnknown, `blob ${name} not found`, NextAction.fix);
    if (registryCode === 'MANIFEST_UNKNOWN') return make(OciErrorCode.manifestUnknown, `manifest ${name} not found`, NextAction.fix);
    const code = extra.notFound ?? OciErrorCode.request;
    return make(code, `${name} not found (HTTP 404)`, NextAction.fix);
  }
  if (registryCode === 'DIGEST_INVALID') return make(OciErrorCode.blobDigestMismatch, `registry rejected the digest of ${name}`, NextAction.backoff);
  if (registryCode === 'SIZE_INVALID') return make(OciErrorCode.blobSizeMismatch, `registry rejected the size of ${name}`, NextAction.backoff);
  if (registryCode === 'MANIFEST_INVALID' || registryCode === 'MANIFEST_BLOB_UNKNOWN') {
    return make(OciErrorCode.manifestInvalid, `registry rejected manifest ${name}`, NextAction.fix);
  }
  if (status === 413) return make(OciErrorCode.manifestTooLarge, `registry refused ${name} as too large`, NextAction.fix);
  if (status === 415) return make(OciErrorCode.unsupportedMediaType, `registry does not support the media type of ${name}`, NextAction.fix);
  if (status >= 500) return make(OciErrorCode.server, `registry failed on ${name} (HTTP ${status})`, NextAction.backoff);
  return make(OciErrorCode.request, `request for ${name} failed (HTTP ${status})`, NextAction.fix);
}
