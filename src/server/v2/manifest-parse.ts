/**
 * Validation of a pushed manifest (image-spec manifest.md / image-index.md, Docker schema2):
 * supported media type, JSON, `schemaVersion: 2`, `mediaType` field consistent with the
 * Content-Type, well-formed descriptors. Returns what the PUT handler must check exists.
 */
import { isDigest, isIndexMediaType, isManifestMediaType } from '../../oci/index.js';
import { serverError, ServerErrorCode } from '../errors.js';

interface Ref {
  digest: string;
  size: number;
  /** Non-distributable layers (with `urls`) need not be present. */
  foreign: boolean;
}

export interface ParsedManifest {
  mediaType: string;
  /** Config and layers (image manifests): blobs that must exist. */
  blobs: Ref[];
  /** Child manifests (indexes): manifests that must exist. */
  manifests: Ref[];
  subject?: string;
}

const invalid = (message: string, detail: Record<string, unknown> = {}) => serverError(ServerErrorCode.manifestInvalid, message, detail);

function descriptor(value: unknown, at: string): Ref {
  const d = value as { mediaType?: unknown; digest?: unknown; size?: unknown; urls?: unknown } | null;
  if (!d || typeof d !== 'object') throw invalid(`${at} is not a descriptor`);
  if (typeof d.mediaType !== 'string' || d.mediaType.length === 0) throw invalid(`${at}.mediaType missing`);
  if (typeof d.digest !== 'string' || !isDigest(d.digest)) throw invalid(`${at}.digest invalid`, { digest: String(d.digest).slice(0, 100) });
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) throw invalid(`${at}.size invalid`);
  return { digest: d.digest, size: d.size, foreign: Array.isArray(d.urls) && d.urls.length > 0 };
}

/** `contentType` is the request's Content-Type (parameters stripped), possibly empty. */
export function parseManifest(body: Buffer, contentType: string): ParsedManifest {
  let doc: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    doc = parsed as Record<string, unknown>;
  } catch {
    throw invalid('manifest is not a JSON object');
  }
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  const mediaType = contentType || declared || '';
  if (!isIndexMediaType(mediaType) && !isManifestMediaType(mediaType)) {
    throw invalid('unsupported manifest media type (OCI image manifest/index, Docker schema2 manifest/list)', { mediaType: mediaType.slice(0, 200) });
  }
  if (declared !== undefined && declared !== mediaType) throw invalid('mediaType field does not match Content-Type', { mediaType: declared.slice(0, 200) });
  if (doc.schemaVersion !== 2) throw invalid('schemaVersion must be 2');
  const result: ParsedManifest = { mediaType, blobs: [], manifests: [] };
  if (isIndexMediaType(mediaType)) {
    if (!Array.isArray(doc.manifests)) throw invalid('manifests must be a list');
    result.manifests = doc.manifests.map((m, i) => descriptor(m, `manifests[${i}]`));
  } else {
    result.blobs.push(descriptor(doc.config, 'config'));
    if (!Array.isArray(doc.layers)) throw invalid('layers must be a list');
    result.blobs.push(...doc.layers.map((l, i) => descriptor(l, `layers[${i}]`)));
  }
  if (doc.subject !== undefined) result.subject = descriptor(doc.subject, 'subject').digest;
  return result;
}

/**
 * Content negotiation of a manifest GET/HEAD: true when `accept` (the joined Accept headers) is
 * absent or lists the stored type, or a matching wildcard. Manifests are never converted.
 */
export function acceptable(accept: string | undefined, mediaType: string): boolean {
  if (!accept || accept.trim() === '') return true;
  const [type] = mediaType.split('/');
  return accept
    .split(',')
    .map((part) => (part.split(';')[0] ?? '').trim().toLowerCase())
    .some((range) => range === mediaType || range === '*/*' || range === `${type}/*`);
}
