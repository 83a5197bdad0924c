/**
 * Test helpers of the server suite: an in-process `createServer` over the real fs store on
 * 127.0.0.1:0, sync tokens with their rules, and builders of OCI content (images, indexes,
 * referrers) as exact bytes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createAuthHolder, createServer, type AuthConfig, type AuthHolder, type ServerDeps } from '../../src/server/index.js';
import { createFsStore, type Store } from '../../src/store/index.js';
import { generateToken, hashToken } from '../../src/util/index.js';
import type { IncomingRule } from '../../src/topology/model.js';

export const MediaType = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  empty: 'application/vnd.oci.empty.v1+json',
} as const;

export interface TestToken {
  token: string;
  rule: IncomingRule;
}

export function makeToken(name: string, access: 'read' | 'write', feeds: string[]): TestToken {
  const token = generateToken();
  return { token, rule: { name, tokenSha256: hashToken(token), access, feeds } };
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export interface Blob {
  digest: string;
  size: number;
  mediaType: string;
  data: Buffer;
}

export function blob(data: Buffer, mediaType: string): Blob {
  return { digest: sha256(data), size: data.length, mediaType, data };
}

export interface Image {
  config: Blob;
  layers: Blob[];
  manifest: Buffer;
  digest: string;
}

/** A small OCI image whose layers are real gzip streams (so skopeo does not recompress them). */
export function makeImage(options: { layers?: number; layerBytes?: number; arch?: string; subject?: Blob; artifactType?: string } = {}): Image {
  const raws = Array.from({ length: options.layers ?? 2 }, () => randomBytes(options.layerBytes ?? 4096));
  const layers = raws.map((raw) => blob(gzipSync(raw), MediaType.layer));
  const configBody = {
    architecture: options.arch ?? 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: raws.map((r) => sha256(r)) },
    config: {},
  };
  const config = blob(Buffer.from(JSON.stringify(configBody)), MediaType.config);
  const desc = (b: Blob) => ({ mediaType: b.mediaType, digest: b.digest, size: b.size });
  const manifestBody: Record<string, unknown> = { schemaVersion: 2, mediaType: MediaType.manifest, config: desc(config), layers: layers.map(desc) };
  if (options.artifactType) manifestBody.artifactType = options.artifactType;
  if (options.subject) manifestBody.subject = desc(options.subject);
  const manifest = Buffer.from(JSON.stringify(manifestBody));
  return { config, layers, manifest, digest: sha256(manifest) };
}

export function makeIndex(images: Image[], arches: string[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.index,
      manifests: images.map((img, i) => ({
        mediaType: MediaType.manifest,
        digest: img.digest,
        size: img.manifest.length,
        platform: { architecture: arches[i] ?? 'amd64', os: 'linux' },
      })),
    }),
  );
}

export interface TestServer {
  url: string;
  store: Store;
  auth: AuthHolder;
  dir: string;
  close(): Promise<void>;
}

export async function startTestServer(auth: AuthConfig, extra: Partial<ServerDeps> = {}): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-server-test-'));
  const store = await createFsStore({ dir: join(dir, 'store') });
  const holder = createAuthHolder(auth);
  const app = createServer({ store, auth: holder.get, dataDir: dir, autoCreateOciFeeds: true, ...extra });
  const server: Server = await new Promise((ok) => {
    const s = app.listen(0, '127.0.0.1', () => ok(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    store,
    auth: holder,
    dir,
    async close() {
      server.closeAllConnections();
      await new Promise((ok) => server.close(ok));
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export function basic(token: string, user = 'anything'): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}` };
}

/** Monolithic blob upload (POST ?digest=); returns the response. */
export async function pushBlob(url: string, repo: string, b: Blob, headers: Record<string, string>): Promise<Response> {
  return fetch(`${url}/v2/${repo}/blobs/uploads/?digest=${b.digest}`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/octet-stream' },
    body: b.data,
  });
}

export async function pushManifest(url: string, repo: string, ref: string, body: Buffer, mediaType: string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${url}/v2/${repo}/manifests/${ref}`, { method: 'PUT', headers: { ...headers, 'content-type': mediaType }, body });
}

/** Pushes config, layers and manifest; throws unless every step succeeded. */
export async function pushImage(url: string, repo: string, tag: string, image: Image, headers: Record<string, string>): Promise<void> {
  for (const b of [image.config, ...image.layers]) {
    const res = await pushBlob(url, repo, b, headers);
    if (res.status !== 201) throw new Error(`blob push ${res.status}: ${await res.text()}`);
  }
  const res = await pushManifest(url, repo, tag, image.manifest, MediaType.manifest, headers);
  if (res.status !== 201) throw new Error(`manifest push ${res.status}: ${await res.text()}`);
}

/** The first OCI error code of a /v2 error response. */
export async function errorCode(res: Response): Promise<string | undefined> {
  const body = (await res.json()) as { errors?: Array<{ code: string }> };
  return body.errors?.[0]?.code;
}
