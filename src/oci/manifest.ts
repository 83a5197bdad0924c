/**
 * Reading manifests as graphs: which media type a manifest is, and what it points to
 * (index → child manifests; image manifest → config + layers; both → optional `subject`).
 * Bodies are never re-serialised: digests are over the exact bytes.
 */
import { createHash } from 'node:crypto';
import { FerryError } from '../errors/index.js';
import type { Descriptor, Platform } from './content.js';
import { OciErrorCode } from './errors.js';
import { isIndexMediaType, isManifestMediaType, isSchema1MediaType, MANIFEST_SIZE_LIMIT } from './media-types.js';
import { DIGEST } from './reference.js';

export interface ParsedManifest {
  mediaType: string;
  kind: 'index' | 'manifest';
  /** Index: child manifests. */
  manifests: Descriptor[];
  /** Manifest: config first, then layers. */
  blobs: Descriptor[];
  subject?: Descriptor;
  artifactType?: string;
}

export function sha256Digest(body: Buffer): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

function invalid(message: string, data: Record<string, unknown>): FerryError {
  return new FerryError(OciErrorCode.manifestInvalid, message, { data });
}

function descriptorOf(value: unknown, where: string, data: Record<string, unknown>): Descriptor {
  const d = value as Partial<Descriptor> | null;
  if (typeof d !== 'object' || d === null || typeof d.mediaType !== 'string' || typeof d.digest !== 'string' || typeof d.size !== 'number') {
    throw invalid(`manifest has an invalid descriptor at ${where}`, data);
  }
  if (!DIGEST.test(d.digest)) {
    throw new FerryError(OciErrorCode.unsupportedMediaType, `descriptor at ${where} uses an unsupported digest ${JSON.stringify(d.digest)} (only sha256)`, { data });
  }
  if (!Number.isSafeInteger(d.size) || d.size < 0) throw invalid(`descriptor at ${where} has an invalid size`, data);
  return d as Descriptor;
}

/**
 * Parses manifest bytes. `declared` is the media type the server sent (Content-Type) or the index
 * entry said; the body's own `mediaType` wins when present. Throws OCI_UNSUPPORTED_MEDIA_TYPE for
 * Docker schema 1 and unknown types, OCI_MANIFEST_INVALID for malformed JSON or descriptors.
 */
export function parseManifest(body: Buffer, declared: string | undefined, data: Record<string, unknown> = {}): ParsedManifest {
  if (body.length > MANIFEST_SIZE_LIMIT) {
    throw new FerryError(OciErrorCode.manifestTooLarge, `manifest is larger than ${MANIFEST_SIZE_LIMIT} bytes`, { data: { ...data, size: body.length } });
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw invalid('manifest is not valid JSON', data);
  }
  if (typeof json !== 'object' || json === null) throw invalid('manifest is not a JSON object', data);
  const mediaType = typeof json.mediaType === 'string' ? json.mediaType : declared;
  if (json.schemaVersion === 1 || isSchema1MediaType(mediaType)) {
    throw new FerryError(OciErrorCode.unsupportedMediaType, 'Docker schema 1 manifests are not supported (re-push the image with a current client)', {
      data: { ...data, mediaType },
    });
  }
  const isIndex = isIndexMediaType(mediaType) || (mediaType === undefined && Array.isArray(json.manifests));
  const isManifest = isManifestMediaType(mediaType) || (mediaType === undefined && json.config !== undefined);
  if (!isIndex && !isManifest) {
    throw new FerryError(OciErrorCode.unsupportedMediaType, `unsupported manifest media type ${JSON.stringify(mediaType)}`, { data: { ...data, mediaType } });
  }
  const parsed: ParsedManifest = {
    mediaType: mediaType ?? (isIndex ? 'application/vnd.oci.image.index.v1+json' : 'application/vnd.oci.image.manifest.v1+json'),
    kind: isIndex ? 'index' : 'manifest',
    manifests: [],
    blobs: [],
  };
  if (isIndex) {
    if (!Array.isArray(json.manifests)) throw invalid('index has no manifests array', data);
    parsed.manifests = json.manifests.map((m, i) => descriptorOf(m, `manifests[${i}]`, data));
  } else {
    parsed.blobs.push(descriptorOf(json.config, 'config', data));
    if (json.layers !== undefined && !Array.isArray(json.layers)) throw invalid('manifest layers is not an array', data);
    (json.layers as unknown[] | undefined ?? []).forEach((l, i) => parsed.blobs.push(descriptorOf(l, `layers[${i}]`, data)));
  }
  if (json.subject !== undefined) parsed.subject = descriptorOf(json.subject, 'subject', data);
  if (typeof json.artifactType === 'string') parsed.artifactType = json.artifactType;
  return parsed;
}

/** `linux/amd64`, `linux/arm64/v8` → Platform; throws INVALID_INPUT style errors via caller. */
export function parsePlatform(text: string): Platform | undefined {
  const [os, architecture, variant] = text.split('/');
  if (!os || !architecture) return undefined;
  return variant ? { os, architecture, variant } : { os, architecture };
}

/** Does a descriptor's platform match the wanted one (variant only compared when asked)? */
export function platformMatches(have: Platform | undefined, want: Platform): boolean {
  if (!have) return false;
  if (have.os !== want.os || have.architecture !== want.architecture) return false;
  return want.variant === undefined || have.variant === want.variant;
}

/** The tag the referrers tag-schema fallback uses for `digest` (`sha256-<hex>`). */
export function referrersTag(digest: string): string {
  return digest.replace(':', '-');
}
