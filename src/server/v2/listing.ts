/**
 * Listing endpoints: tags (`/v2/<name>/tags/list?n=&last=`, spec "content discovery"),
 * the catalog (`/v2/_catalog`, Docker extension: only repositories the caller can read) and
 * referrers (`/v2/<name>/referrers/<digest>?artifactType=`, spec v1.1 "listing referrers").
 * Paginated answers carry `Link: <…?n=N&last=X>; rel="next"` when there is more. Referrers come
 * in pages of REFERRERS_PAGE descriptors, by digest (ferry's own `n` and `last` are honoured;
 * clients follow the Link as the spec asks).
 */
import type { Request, Response } from 'express';
import type { Descriptor } from '../../oci/content.js';
import { ServerErrorCode } from '../errors.js';
import { intParam, stringParam } from '../http-util.js';
import { openRepository, type V2Context } from './context.js';
import { checkDigest } from './names.js';
import { serverError } from '../errors.js';

const MAX_PAGE = 1000;
const CATALOG_DEFAULT_PAGE = 100;
/** Descriptors per referrers page: a page stays far below the 4 MiB manifest limit of clients. */
const REFERRERS_PAGE = 1000;

function link(path: string, n: number, last: string): string {
  return `<${path}?n=${n}&last=${encodeURIComponent(last)}>; rel="next"`;
}

export async function tagsList(ctx: V2Context, req: Request, res: Response, name: string): Promise<void> {
  const repo = await openRepository(ctx, req, name, 'read');
  const requested = intParam(stringParam(req.query.n), ServerErrorCode.sizeInvalid, 'n');
  const last = stringParam(req.query.last);
  let tags: string[] = [];
  let next: string | undefined;
  if (requested !== 0) {
    const n = requested === undefined ? undefined : Math.min(requested, MAX_PAGE);
    const page = await ctx.store.tagList(repo.name, { ...(n === undefined ? {} : { n }), ...(last === undefined ? {} : { last }) });
    tags = page.tags;
    next = page.next;
    if (n !== undefined && tags.length > n) {
      next = tags[n - 1];
      tags = tags.slice(0, n);
    }
  }
  if (tags.length === 0 && last === undefined && !(await ctx.store.repositoryList(repo.feed)).includes(repo.name)) {
    throw serverError(ServerErrorCode.nameUnknown, 'repository name not known to registry', { name: repo.name });
  }
  if (next !== undefined) res.setHeader('Link', link(`/v2/${repo.name}/tags/list`, requested ?? tags.length, next));
  res.status(200).json({ name: repo.name, tags });
}

export async function catalog(ctx: V2Context, req: Request, res: Response): Promise<void> {
  ctx.authorizer.authenticate(req);
  const n = Math.min(intParam(stringParam(req.query.n), ServerErrorCode.sizeInvalid, 'n') ?? CATALOG_DEFAULT_PAGE, MAX_PAGE);
  const last = stringParam(req.query.last) ?? '';
  const feeds = (await ctx.store.feedList()).filter((f) => !f.retired && ctx.authorizer.allows(req, f.name, 'read'));
  const names: string[] = [];
  for (const feed of feeds) names.push(...(await ctx.store.repositoryList(feed.name)));
  const sorted = names.filter((r) => r > last).sort();
  const page = sorted.slice(0, n);
  if (sorted.length > n && n > 0) res.setHeader('Link', link('/v2/_catalog', n, page[page.length - 1] ?? ''));
  res.status(200).json({ repositories: page });
}

export async function referrers(ctx: V2Context, req: Request, res: Response, name: string, rawDigest: string): Promise<void> {
  const repo = await openRepository(ctx, req, name, 'read');
  const digest = checkDigest(rawDigest);
  const artifactType = stringParam(req.query.artifactType);
  const n = Math.max(1, Math.min(intParam(stringParam(req.query.n), ServerErrorCode.sizeInvalid, 'n') ?? REFERRERS_PAGE, REFERRERS_PAGE));
  const last = stringParam(req.query.last) ?? '';
  const found = await ctx.store.referrers(repo.name, digest, artifactType === undefined ? {} : { artifactType });
  const matching = (artifactType === undefined ? found : found.filter((d) => d.artifactType === artifactType))
    .filter((d) => d.digest > last)
    .sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
  const manifests: Descriptor[] = matching.slice(0, n);
  if (artifactType !== undefined) res.setHeader('OCI-Filters-Applied', 'artifactType');
  if (matching.length > n) {
    const filter = artifactType === undefined ? '' : `&artifactType=${encodeURIComponent(artifactType)}`;
    res.setHeader('Link', `</v2/${repo.name}/referrers/${digest}?n=${n}&last=${encodeURIComponent(manifests[manifests.length - 1]!.digest)}${filter}>; rel="next"`);
  }
  const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
  // Exactly the index media type, no charset parameter (express's send would add one).
  res.setHeader('Content-Type', 'application/vnd.oci.image.index.v1+json');
  res.setHeader('Content-Length', String(body.length));
  res.status(200).end(body);
}
