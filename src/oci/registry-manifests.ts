/**
 * Manifest, tag, referrer and catalog operations of the registry client (distribution spec
 * "Pulling manifests", "Pushing manifests", "Listing tags", "Listing referrers", "Deleting
 * manifests"). Every manifest read is size-capped and digest-verified; see registry-client.ts.
 */
import { FerryError } from '../errors/index.js';
import type { Descriptor, FetchedManifest, TagPage } from './content.js';
import { OciErrorCode } from './errors.js';
import { drain, header } from './http/types.js';
import { parseManifest, referrersTag, sha256Digest } from './manifest.js';
import { MANIFEST_ACCEPT, MANIFEST_SIZE_LIMIT, MediaType } from './media-types.js';
import { isDigest } from './reference.js';
import { call, nextFromLink, nextLinkUrl, pullScope, pushScope, readLimited, urlFor, type RegistryContext } from './registry-http.js';

const LIST_LIMIT = 16 * 1024 * 1024;

export async function manifestGet(ctx: RegistryContext, repository: string, reference: string): Promise<FetchedManifest> {
  const subject = isDigest(reference) ? { repository, digest: reference } : { repository, reference };
  const res = await call(ctx, {
    method: 'GET',
    path: `/v2/${repository}/manifests/${reference}`,
    headers: { accept: MANIFEST_ACCEPT },
    scopes: [pullScope(repository)],
    expect: [200],
    subject,
    notFound: OciErrorCode.manifestUnknown,
  });
  const tooLarge = (): FerryError =>
    new FerryError(OciErrorCode.manifestTooLarge, `manifest ${repository}:${reference} is larger than ${MANIFEST_SIZE_LIMIT} bytes`, { data: subject });
  const body = await readLimited(res, MANIFEST_SIZE_LIMIT, tooLarge);
  const contentType = header(res.headers, 'content-type')?.split(';')[0]?.trim();
  const parsed = parseManifest(body, contentType, subject);
  const digest = sha256Digest(body);
  const claimed = header(res.headers, 'docker-content-digest');
  const expected = isDigest(reference) ? reference : claimed?.startsWith('sha256:') ? claimed : undefined;
  if (expected && expected !== digest) {
    throw new FerryError(OciErrorCode.manifestDigestMismatch, `manifest ${repository}:${reference} hashes to ${digest}, expected ${expected}`, {
      data: { ...subject, expected, actual: digest },
    });
  }
  const descriptor: Descriptor = { mediaType: parsed.mediaType, digest, size: body.length };
  if (parsed.artifactType) descriptor.artifactType = parsed.artifactType;
  return { descriptor, body };
}

export async function manifestHead(ctx: RegistryContext, repository: string, reference: string): Promise<Descriptor | undefined> {
  const res = await call(ctx, {
    method: 'HEAD',
    path: `/v2/${repository}/manifests/${reference}`,
    headers: { accept: MANIFEST_ACCEPT },
    scopes: [pullScope(repository)],
    expect: [200, 404],
    subject: { repository, reference },
  });
  res.body.destroy();
  if (res.status === 404) return undefined;
  const digest = header(res.headers, 'docker-content-digest');
  const size = Number(header(res.headers, 'content-length'));
  const mediaType = header(res.headers, 'content-type')?.split(';')[0]?.trim();
  if (!digest || !isDigest(digest) || !Number.isSafeInteger(size) || !mediaType) return (await manifestGet(ctx, repository, reference)).descriptor;
  if (isDigest(reference) && digest !== reference) return (await manifestGet(ctx, repository, reference)).descriptor;
  return { mediaType, digest, size };
}

export async function tagList(ctx: RegistryContext, repository: string, options: { last?: string; n?: number } = {}): Promise<TagPage> {
  const res = await call(ctx, {
    method: 'GET',
    path: `/v2/${repository}/tags/list`,
    query: { n: options.n?.toString(), last: options.last },
    scopes: [pullScope(repository)],
    expect: [200],
    subject: { repository },
    notFound: OciErrorCode.nameUnknown,
  });
  const body = await readLimited(res, LIST_LIMIT, () => new FerryError(OciErrorCode.protocol, `tag list of ${repository} is too large`));
  const tags = (JSON.parse(body.toString('utf8')) as { tags?: string[] | null }).tags ?? [];
  const next = nextFromLink(header(res.headers, 'link'), ctx.base);
  const page: TagPage = { tags: [...tags].sort() };
  if (next) page.next = next;
  return page;
}

/** Pages of a referrers answer followed at most (each up to MANIFEST_SIZE_LIMIT). */
const MAX_REFERRERS_PAGES = 100;

export async function referrers(ctx: RegistryContext, repository: string, digest: string, options: { artifactType?: string } = {}): Promise<Descriptor[]> {
  const subject = { repository, digest };
  let path: string | URL = `/v2/${repository}/referrers/${digest}`;
  let query: Record<string, string | undefined> | undefined = { artifactType: options.artifactType };
  const list: Descriptor[] = [];
  for (let page = 1; ; page++) {
    const res = await call(ctx, { method: 'GET', path, ...(query ? { query } : {}), headers: { accept: MediaType.ociIndex }, scopes: [pullScope(repository)], expect: [200, 400, 404, 405], subject });
    const type = header(res.headers, 'content-type')?.split(';')[0]?.trim();
    if (res.status !== 200 || type !== MediaType.ociIndex) {
      await drain(res.body);
      // No referrers API: the tag schema. (A later page failing like this is an error.)
      if (page > 1) throw new FerryError(OciErrorCode.protocol, `referrers of ${digest}: page ${page} answered ${res.status}`, { data: { ...subject } });
      return filterByType(await referrersFromTag(ctx, repository, digest), options.artifactType);
    }
    const body = await readLimited(res, MANIFEST_SIZE_LIMIT, () => new FerryError(OciErrorCode.manifestTooLarge, 'referrers index too large'));
    list.push(...parseManifest(body, type).manifests);
    // Spec: a registry may paginate referrers with `Link: <url>; rel="next"` (same origin only).
    const next = nextLinkUrl(header(res.headers, 'link'), urlFor(ctx, path, query));
    if (!next) break;
    if (next.origin !== ctx.base.origin || page >= MAX_REFERRERS_PAGES) {
      throw new FerryError(OciErrorCode.protocol, `referrers of ${digest}: ${page >= MAX_REFERRERS_PAGES ? `more than ${MAX_REFERRERS_PAGES} pages` : 'next page on another origin'}`, { data: { ...subject } });
    }
    path = next;
    query = undefined;
  }
  return filterByType(list, options.artifactType);
}

function filterByType(list: Descriptor[], artifactType: string | undefined): Descriptor[] {
  return artifactType ? list.filter((d) => d.artifactType === artifactType) : list;
}

/** The `sha256-<hex>` tag schema fallback (distribution spec "Referrers Tag Schema"). */
export async function referrersFromTag(ctx: RegistryContext, repository: string, digest: string): Promise<Descriptor[]> {
  try {
    const { body, descriptor } = await manifestGet(ctx, repository, referrersTag(digest));
    return parseManifest(body, descriptor.mediaType).manifests;
  } catch (err) {
    if (err instanceof FerryError && (err.code === OciErrorCode.manifestUnknown || err.code === OciErrorCode.nameUnknown)) return [];
    throw err;
  }
}

export async function manifestPut(ctx: RegistryContext, repository: string, reference: string, mediaType: string, body: Buffer): Promise<Descriptor> {
  const digest = sha256Digest(body);
  const parsed = parseManifest(body, mediaType, { repository, reference });
  const put = () =>
    call(ctx, {
      method: 'PUT',
      path: `/v2/${repository}/manifests/${reference}`,
      headers: { 'content-type': mediaType },
      body,
      scopes: [pushScope(repository)],
      expect: [201],
      subject: { repository, reference },
    });
  const res = await put().catch(async (err: unknown) => {
    // distribution 2.8 may refuse a manifest while another client is still committing one of
    // its blobs (concurrent copies sharing a layer): DIGEST_INVALID / MANIFEST_BLOB_UNKNOWN.
    const racy = err instanceof FerryError && (err.data.registryCode === 'DIGEST_INVALID' || err.data.registryCode === 'MANIFEST_BLOB_UNKNOWN');
    if (!racy) throw err;
    await new Promise((r) => setTimeout(r, 250));
    return put();
  });
  await drain(res.body);
  const descriptor: Descriptor = { mediaType, digest, size: body.length };
  if (parsed.artifactType) descriptor.artifactType = parsed.artifactType;
  if (parsed.subject && !header(res.headers, 'oci-subject')) await addToReferrersTag(ctx, repository, parsed.subject.digest, descriptor, body);
  return descriptor;
}

/**
 * A registry without the referrers API: maintain the `sha256-<hex>` fallback index, as the spec
 * asks of clients. Not atomic: two clients adding referrers at once may lose one (spec caveat).
 */
export async function addToReferrersTag(ctx: RegistryContext, repository: string, subjectDigest: string, descriptor: Descriptor, body: Buffer): Promise<void> {
  const existing = await referrersFromTag(ctx, repository, subjectDigest);
  if (existing.some((d) => d.digest === descriptor.digest)) return;
  const manifest = JSON.parse(body.toString('utf8')) as { annotations?: Record<string, string>; config?: { mediaType?: string } };
  const entry: Descriptor = { mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size };
  const artifactType = descriptor.artifactType ?? manifest.config?.mediaType;
  if (artifactType) entry.artifactType = artifactType;
  if (manifest.annotations) entry.annotations = manifest.annotations;
  const index = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [...existing, entry] };
  const res = await call(ctx, {
    method: 'PUT',
    path: `/v2/${repository}/manifests/${referrersTag(subjectDigest)}`,
    headers: { 'content-type': MediaType.ociIndex },
    body: Buffer.from(JSON.stringify(index)),
    scopes: [pushScope(repository)],
    expect: [201],
    subject: { repository, reference: referrersTag(subjectDigest) },
  });
  await drain(res.body);
}

export async function catalog(ctx: RegistryContext, options: { last?: string; n?: number } = {}): Promise<{ repositories: string[]; next?: string }> {
  const res = await call(ctx, {
    method: 'GET',
    path: '/v2/_catalog',
    query: { n: options.n?.toString(), last: options.last },
    scopes: ['registry:catalog:*'],
    expect: [200],
    subject: {},
  });
  const body = await readLimited(res, LIST_LIMIT, () => new FerryError(OciErrorCode.protocol, 'catalog page is too large'));
  const repositories = (JSON.parse(body.toString('utf8')) as { repositories?: string[] | null }).repositories ?? [];
  const next = nextFromLink(header(res.headers, 'link'), ctx.base);
  return next ? { repositories, next } : { repositories };
}

export async function manifestDelete(ctx: RegistryContext, repository: string, digest: string): Promise<boolean> {
  const res = await call(ctx, { method: 'DELETE', path: `/v2/${repository}/manifests/${digest}`, scopes: [pushScope(repository)], expect: [202, 404], subject: { repository, digest } });
  await drain(res.body);
  return res.status === 202;
}
