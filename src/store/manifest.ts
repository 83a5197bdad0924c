/**
 * Parsing of pushed manifests into what the store indexes: the blobs and child manifests a
 * manifest references, its subject (for referrers) and artifact type.
 *
 * Supported: OCI image manifest and index (image-spec v1.1), Docker schema2 manifest and
 * manifest list. Docker schema1 is refused with OCI_UNSUPPORTED_MEDIA_TYPE. The body is never
 * re-serialised: the digest is over the exact bytes received.
 */
import { isIndexMediaType, isManifestMediaType, MANIFEST_SIZE_LIMIT, MediaType, sha256Digest, type Descriptor } from '../oci/index.js';
import { storeError, StoreErrorCode } from './errors.js';
import { assertTag, isDigest } from './names.js';

/** Manifests larger than this are refused (the OCI engine's limit; CNCF distribution uses 4 MiB too). */
export const MAX_MANIFEST_BYTES = MANIFEST_SIZE_LIMIT;

export { sha256Digest };

const SCHEMA1_TYPES = new Set<string>([MediaType.dockerSchema1, MediaType.dockerSchema1Signed]);

export interface ParsedManifest {
  digest: string;
  size: number;
  mediaType: string;
  /** True for an index / manifest list. */
  isIndex: boolean;
  /** Config and layers that must be present (layers with `urls` — foreign layers — excluded). */
  blobs: string[];
  /** Manifests an index points at; they must be present in the same repository. */
  children: string[];
  subject?: string;
  /** `artifactType`, or for an image manifest without one, the config's media type (referrers rule). */
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** Parses and checks a manifest body; `mediaType` is the Content-Type it was pushed with (may be empty). */
export function parseManifest(mediaType: string, body: Buffer): ParsedManifest {
  if (body.length > MAX_MANIFEST_BYTES) {
    throw storeError(StoreErrorCode.manifestTooLarge, 'manifest exceeds the size limit', { size: body.length, limit: MAX_MANIFEST_BYTES });
  }
  const declared = mediaType.split(';')[0]?.trim() ?? '';
  if (SCHEMA1_TYPES.has(declared)) throw unsupported(declared);
  const json = parseJson(body);
  if (json.schemaVersion === 1) throw unsupported(declared || 'schemaVersion 1');
  const bodyType = typeof json.mediaType === 'string' ? json.mediaType : undefined;
  if (bodyType !== undefined && SCHEMA1_TYPES.has(bodyType)) throw unsupported(bodyType);
  if (declared && bodyType && declared !== bodyType) {
    throw invalid('mediaType in the body differs from the Content-Type', { declared, body: bodyType });
  }
  const type = declared || bodyType || inferType(json);
  if (!isIndexMediaType(type) && !isManifestMediaType(type)) throw unsupported(type);
  if (json.schemaVersion !== 2) throw invalid('schemaVersion must be 2', {});

  const parsed: ParsedManifest = { digest: sha256Digest(body), size: body.length, mediaType: type, isIndex: isIndexMediaType(type), blobs: [], children: [] };
  if (parsed.isIndex) {
    parsed.children = descriptorList(json.manifests, 'manifests').map((d) => d.digest);
  } else {
    const config = descriptor(json.config, 'config');
    const layers = descriptorList(json.layers, 'layers');
    parsed.blobs = [config, ...layers.filter((l) => !(Array.isArray(l.urls) && l.urls.length > 0))].map((d) => d.digest);
    parsed.artifactType = config.mediaType;
  }
  if (typeof json.artifactType === 'string') parsed.artifactType = json.artifactType;
  if (json.subject !== undefined) parsed.subject = descriptor(json.subject, 'subject').digest;
  if (isStringRecord(json.annotations)) parsed.annotations = json.annotations;
  return parsed;
}

/** The descriptor by which referrers list a manifest (image-spec: referrers response). */
export function referrerDescriptor(parsed: ParsedManifest): Descriptor {
  const d: Descriptor = { mediaType: parsed.mediaType, digest: parsed.digest, size: parsed.size };
  if (parsed.artifactType !== undefined) d.artifactType = parsed.artifactType;
  if (parsed.annotations !== undefined) d.annotations = parsed.annotations;
  return d;
}

function parseJson(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw storeError(StoreErrorCode.manifestInvalid, 'manifest is not valid JSON', {}, err);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('manifest must be a JSON object', {});
  return value as Record<string, unknown>;
}

function inferType(json: Record<string, unknown>): string {
  if (Array.isArray(json.manifests)) return MediaType.ociIndex;
  if (json.config !== undefined) return MediaType.ociManifest;
  return '';
}

function descriptor(value: unknown, field: string): Descriptor {
  if (typeof value !== 'object' || value === null) throw invalid(`${field} must be a descriptor`, { field });
  const d = value as Record<string, unknown>;
  if (typeof d.mediaType !== 'string' || typeof d.digest !== 'string' || !isDigest(d.digest)) {
    throw invalid(`${field} has an invalid mediaType or digest (only sha256 is supported)`, { field });
  }
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) throw invalid(`${field} has an invalid size`, { field });
  return d as unknown as Descriptor;
}

function descriptorList(value: unknown, field: string): Descriptor[] {
  if (value === undefined && field === 'layers') return [];
  if (!Array.isArray(value)) throw invalid(`${field} must be an array`, { field });
  return value.map((v, i) => descriptor(v, `${field}[${i}]`));
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}

function unsupported(mediaType: string): Error {
  return storeError(StoreErrorCode.unsupportedMediaType, 'unsupported manifest media type (Docker schema1 and unknown types are refused)', { mediaType: mediaType.slice(0, 200) });
}

function invalid(message: string, data: Record<string, unknown>): Error {
  return storeError(StoreErrorCode.manifestInvalid, message, data);
}

/**
 * Parses a pushed manifest and checks its reference: a digest reference must be the body's
 * digest (OCI_DIGEST_INVALID), anything else must be a valid tag (returned).
 */
export function parsePush(repository: string, reference: string, mediaType: string, body: Buffer): { parsed: ParsedManifest; tag?: string } {
  const parsed = parseManifest(mediaType, body);
  if (isDigest(reference)) {
    if (reference !== parsed.digest) throw storeError(StoreErrorCode.digestInvalid, 'manifest digest does not match the reference', { repository, reference, digest: parsed.digest });
    return { parsed };
  }
  return { parsed, tag: assertTag(reference) };
}

/** The descriptor `manifestPut` returns. */
export function manifestDescriptor(parsed: ParsedManifest): Descriptor {
  const d: Descriptor = { mediaType: parsed.mediaType, digest: parsed.digest, size: parsed.size };
  if (parsed.artifactType !== undefined) d.artifactType = parsed.artifactType;
  return d;
}
