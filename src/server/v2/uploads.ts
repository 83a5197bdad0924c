/**
 * Blob uploads (distribution spec "pushing blobs"):
 *   POST   /v2/<name>/blobs/uploads/?digest=D        monolithic upload (body = blob)     → 201
 *   POST   /v2/<name>/blobs/uploads/?mount=D&from=R  cross-repository mount              → 201, else a session (202)
 *   POST   /v2/<name>/blobs/uploads/                 start a session                     → 202
 *   PATCH  /v2/<name>/blobs/uploads/<uuid>           append a chunk (Content-Range a-b)  → 202, 416 out of order
 *   PUT    /v2/<name>/blobs/uploads/<uuid>?digest=D  last chunk (optional) and finish    → 201
 *   GET    /v2/<name>/blobs/uploads/<uuid>           status (Range)                      → 204
 *   DELETE /v2/<name>/blobs/uploads/<uuid>           cancel                              → 204
 */
import type { Request, Response } from 'express';
import { isFerryError } from '../../errors/index.js';
import { serverError, ServerErrorCode } from '../errors.js';
import { pipeline } from 'node:stream/promises';
import { sliceStream, stringParam } from '../http-util.js';
import { openRepository, type V2Context } from './context.js';
import { checkDigest, parseRepositoryName } from './names.js';
import type { UploadSession } from './upload-sessions.js';

function sessionHeaders(res: Response, name: string, session: UploadSession): void {
  res.setHeader('Location', `/v2/${name}/blobs/uploads/${session.id}`);
  res.setHeader('Range', `0-${Math.max(0, session.size - 1)}`);
  res.setHeader('Docker-Upload-UUID', session.id);
  res.setHeader('Content-Length', '0');
}

function created(res: Response, name: string, digest: string): void {
  res.status(201);
  res.setHeader('Location', `/v2/${name}/blobs/${digest}`);
  res.setHeader('Docker-Content-Digest', digest);
  res.setHeader('Content-Length', '0');
  res.end();
}

/** True when the request carries a body (a PUT that finishes a session may or may not). */
function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

export async function uploadStart(ctx: V2Context, req: Request, res: Response, name: string): Promise<void> {
  const repo = await openRepository(ctx, req, name, 'write');
  const mount = stringParam(req.query.mount);
  const from = stringParam(req.query.from);
  if (mount !== undefined && from !== undefined) {
    const digest = checkDigest(mount);
    const source = parseRepositoryName(from);
    // The caller must be able to read what it mounts; otherwise mount is a way to read any blob.
    if (ctx.authorizer.allows(req, source.feed, 'read') && (await tryMount(ctx, repo.name, source.name, digest))) {
      created(res, repo.name, digest);
      return;
    }
  }
  const digestParam = stringParam(req.query.digest);
  const digest = digestParam === undefined ? undefined : checkDigest(digestParam);
  const length = declaredLength(req);
  if (digest !== undefined && length !== undefined) {
    await monolithic(ctx, req, repo.name, digest, length);
    created(res, repo.name, digest);
    return;
  }
  const session = await ctx.uploads.create(repo.name);
  if (digest === undefined) {
    sessionHeaders(res, repo.name, session);
    res.status(202).end();
    return;
  }
  try {
    const written = await ctx.uploads.append(session, req);
    await ctx.uploads.finish(written, digest, ctx.store);
  } finally {
    await ctx.uploads.remove(session.id);
  }
  created(res, repo.name, digest);
}

/** Content-Length of a plain (not chunked) body, or undefined. */
function declaredLength(req: Request): number | undefined {
  if (req.headers['transfer-encoding'] !== undefined) return undefined;
  const length = Number(req.headers['content-length'] ?? NaN);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

/**
 * Monolithic upload with a known size: the body streams straight into the store (one write, no
 * session file); the store verifies size and digest before the blob becomes visible. The body
 * can be read once, so a second attempt by the store fails the upload (the client retries).
 */
async function monolithic(ctx: V2Context, req: Request, repository: string, digest: string, size: number): Promise<void> {
  if (size > ctx.uploads.maxBytes) {
    throw serverError(ServerErrorCode.tooLarge, `blob larger than ${ctx.uploads.maxBytes} bytes`, { limit: ctx.uploads.maxBytes });
  }
  let opened = false;
  await ctx.store.blobPut(repository, { mediaType: 'application/octet-stream', digest, size }, async (offset) => {
    if (opened) throw serverError(ServerErrorCode.uploadInvalid, 'upload interrupted', { digest });
    opened = true;
    if (offset === 0) return { stream: req, size, offset: 0 };
    const rest = sliceStream(offset, size - offset);
    pipeline(req, rest).catch(() => undefined); // an abort reaches the store as an error of `rest`
    return { stream: rest, size, offset };
  });
}

/** A mount that cannot happen (unknown source feed or blob) falls back to an upload, per the spec. */
async function tryMount(ctx: V2Context, repository: string, from: string, digest: string): Promise<boolean> {
  try {
    return await ctx.store.blobMount(repository, from, digest);
  } catch (err) {
    if (isFerryError(err)) return false;
    throw err;
  }
}

export async function uploadPatch(ctx: V2Context, req: Request, res: Response, name: string, id: string): Promise<void> {
  const repo = await openRepository(ctx, req, name, 'write');
  const session = await ctx.uploads.get(id, repo.name);
  const contentRange = req.headers['content-range'];
  if (contentRange !== undefined) {
    const match = /^(?:bytes[ =])?(\d+)-(\d+)$/.exec(String(contentRange).trim());
    if (!match) throw serverError(ServerErrorCode.uploadInvalid, 'malformed Content-Range', { uuid: id });
    const start = Number(match[1]);
    const end = Number(match[2]);
    if (start !== session.size || end < start) {
      res.setHeader('Range', `0-${Math.max(0, session.size - 1)}`);
      res.setHeader('Location', `/v2/${repo.name}/blobs/uploads/${id}`);
      throw serverError(ServerErrorCode.uploadRangeInvalid, 'chunk out of order', { uuid: id, offset: session.size });
    }
    const length = req.headers['content-length'];
    if (length !== undefined && Number(length) !== end - start + 1) {
      throw serverError(ServerErrorCode.uploadInvalid, 'Content-Length does not match Content-Range', { uuid: id });
    }
  }
  const written = await ctx.uploads.append(session, req);
  sessionHeaders(res, repo.name, written);
  res.status(202).end();
}

export async function uploadFinish(ctx: V2Context, req: Request, res: Response, name: string, id: string): Promise<void> {
  const repo = await openRepository(ctx, req, name, 'write');
  const digestParam = stringParam(req.query.digest);
  if (digestParam === undefined) throw serverError(ServerErrorCode.digestInvalid, 'digest parameter missing');
  const digest = checkDigest(digestParam);
  let session = await ctx.uploads.get(id, repo.name);
  if (hasBody(req)) session = await ctx.uploads.append(session, req);
  await ctx.uploads.finish(session, digest, ctx.store);
  created(res, repo.name, digest);
}

export async function uploadStatus(ctx: V2Context, req: Request, res: Response, name: string, id: string): Promise<void> {
  const repo = await openRepository(ctx, req, name, 'write');
  const session = await ctx.uploads.get(id, repo.name);
  sessionHeaders(res, repo.name, session);
  res.status(204).end();
}

export async function uploadCancel(ctx: V2Context, req: Request, res: Response, name: string, id: string): Promise<void> {
  const repo = await openRepository(ctx, req, name, 'write');
  await ctx.uploads.get(id, repo.name);
  await ctx.uploads.remove(id);
  res.setHeader('Content-Length', '0');
  res.status(204).end();
}
