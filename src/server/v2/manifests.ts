/**
 * Manifest endpoints `/v2/<name>/manifests/<reference>`: GET/HEAD by tag or digest (with
 * content negotiation), PUT (validated, size-capped, every referenced blob and child manifest
 * must be present → MANIFEST_BLOB_UNKNOWN), DELETE by digest (the manifest and its tags) or by
 * tag (just the tag).
 */
import type { Request, Response } from 'express';
import { sha256Digest } from '../../oci/index.js';
import { serverError, ServerErrorCode } from '../errors.js';
import { readBody } from '../http-util.js';
import { openRepository, type V2Context } from './context.js';
import { acceptable, parseManifest } from './manifest-parse.js';
import { checkReference, isDigest } from './names.js';

const unknownManifest = (reference: string) => serverError(ServerErrorCode.manifestUnknown, 'manifest unknown to registry', { reference });

export async function manifestGet(ctx: V2Context, req: Request, res: Response, name: string, rawReference: string): Promise<void> {
  const repo = await openRepository(ctx, req, name, 'read');
  const reference = checkReference(rawReference, ServerErrorCode.manifestUnknown);
  const accept = req.headers.accept;
  if (req.method === 'HEAD') {
    const descriptor = await ctx.store.manifestHead(repo.name, reference);
    if (!descriptor || !acceptable(accept, descriptor.mediaType)) throw unknownManifest(reference);
    writeHeaders(res, descriptor.mediaType, descriptor.digest, descriptor.size);
    res.status(200).end();
    return;
  }
  const manifest = await ctx.store.manifestGet(repo.name, reference);
  const { mediaType, digest } = manifest.descriptor;
  if (!acceptable(accept, mediaType)) throw unknownManifest(reference);
  writeHeaders(res, mediaType, digest, manifest.body.length);
  res.status(200).end(manifest.body);
}

function writeHeaders(res: Response, mediaType: string, digest: string, size: number): void {
  res.setHeader('Content-Type', mediaType);
  res.setHeader('Docker-Content-Digest', digest);
  res.setHeader('Content-Length', String(size));
  res.setHeader('ETag', `"${digest}"`);
}

export async function manifestPut(ctx: V2Context, req: Request, res: Response, name: string, rawReference: string): Promise<void> {
  const repo = await openRepository(ctx, req, name, 'write');
  const reference = checkReference(rawReference, ServerErrorCode.manifestInvalid);
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const body = await readBody(req, ctx.maxManifestBytes);
  const parsed = parseManifest(body, contentType);
  const digest = sha256Digest(body);
  if (isDigest(reference) && reference !== digest) {
    throw serverError(ServerErrorCode.digestInvalid, 'manifest does not match the digest it was pushed by', { digest: reference });
  }
  for (const blob of parsed.blobs) {
    if (blob.foreign) continue;
    if ((await ctx.store.blobHead(repo.name, blob.digest)) === undefined) {
      throw serverError(ServerErrorCode.manifestBlobUnknown, 'manifest references a blob unknown to registry', { digest: blob.digest });
    }
  }
  for (const child of parsed.manifests) {
    if ((await ctx.store.manifestHead(repo.name, child.digest)) === undefined) {
      throw serverError(ServerErrorCode.manifestBlobUnknown, 'index references a manifest unknown to registry', { digest: child.digest });
    }
  }
  const descriptor = await ctx.store.manifestPutWithContext(repo.name, reference, parsed.mediaType, body, { origin: 'local' });
  ctx.log.info({ repository: repo.name, reference, digest: descriptor.digest }, 'manifest pushed');
  res.setHeader('Location', `/v2/${repo.name}/manifests/${descriptor.digest}`);
  res.setHeader('Docker-Content-Digest', descriptor.digest);
  if (parsed.subject) res.setHeader('OCI-Subject', parsed.subject);
  res.setHeader('Content-Length', '0');
  res.status(201).end();
}

export async function manifestDelete(ctx: V2Context, req: Request, res: Response, name: string, rawReference: string): Promise<void> {
  const repo = await openRepository(ctx, req, name, 'write');
  const reference = checkReference(rawReference, ServerErrorCode.manifestUnknown);
  const context = { origin: 'local' };
  const deleted = isDigest(reference)
    ? await ctx.store.manifestDelete(repo.name, reference, context)
    : await ctx.store.tagDelete(repo.name, reference, context);
  if (!deleted) throw unknownManifest(reference);
  ctx.log.info({ repository: repo.name, reference }, 'manifest deleted');
  res.setHeader('Content-Length', '0');
  res.status(202).end();
}
