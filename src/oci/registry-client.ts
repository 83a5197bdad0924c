/**
 * A distribution-spec v1.1 client (https://github.com/opencontainers/distribution-spec/blob/v1.1.0/spec.md)
 * implementing ContentTarget over HTTP layers transport → retry → auth (STYLE.md habit 7).
 *
 * Guarantees: every manifest read is size-capped (4 MiB) and its digest verified (against the
 * requested digest and the `Docker-Content-Digest` header); schema 1 is refused with
 * OCI_UNSUPPORTED_MEDIA_TYPE; manifest requests always carry an explicit `Accept`; blob reads are
 * streams the caller verifies (writeBlobFile does); uploads verify before completing (see
 * registry-blobs.ts). Plain HTTP is used when `plainHttp` is true, or when it is unset and the
 * registry is a loopback address.
 */
import tls from 'node:tls';
import type { Credentials } from './http/auth.js';
import { credentialHint, withAuth } from './http/auth.js';
import { withRetry, type RetryOptions } from './http/retry.js';
import { createTransport } from './http/transport.js';
import { drain } from './http/types.js';
import type { ContentTarget } from './content.js';
import { isLoopbackRegistry } from './reference.js';
import { blobDelete, blobGet, blobHead, blobMount, blobPut } from './registry-blobs.js';
import { call, type RegistryContext } from './registry-http.js';
import { catalog, manifestDelete, manifestGet, manifestHead, manifestPut, referrers, tagList } from './registry-manifests.js';

export interface RegistryClientOptions {
  /** `host[:port]` */
  registry: string;
  plainHttp?: boolean;
  auth?: Credentials;
  timeoutMs?: number;
  retry?: RetryOptions;
  userAgent?: string;
  onRequest?: (method: string, url: string, status: number) => void;
  /** Upload blobs larger than this in PATCH chunks of this size (default: monolithic). */
  uploadChunkSize?: number;
  /** Extra trust for https: PEM CA certificate(s) to accept in addition to the system's. */
  ca?: string | Buffer;
}

export interface RegistryClient extends ContentTarget {
  readonly registry: string;
  catalog(options?: { last?: string; n?: number }): Promise<{ repositories: string[]; next?: string }>;
  manifestDelete(repository: string, digest: string): Promise<boolean>;
  blobDelete(repository: string, digest: string): Promise<boolean>;
  /** Checks `/v2/` (authenticating if the registry asks); throws OCI_UNAUTHORIZED / OCI_CONNECTION. */
  ping(): Promise<void>;
  /** Frees keep-alive sockets. */
  close(): void;
}

export function createRegistryClient({
  registry,
  plainHttp,
  auth,
  timeoutMs = 30_000,
  retry = {},
  userAgent = 'ferry/0.1',
  onRequest,
  uploadChunkSize,
  ca,
}: RegistryClientOptions): RegistryClient {
  const transport = createTransport({
    timeoutMs,
    userAgent,
    ...(onRequest ? { onRequest } : {}),
    ...(ca ? { tls: { ca: [...tls.rootCertificates, ca.toString()] } } : {}),
  });
  const retried = withRetry(transport.send, retry);
  const useHttp = plainHttp ?? isLoopbackRegistry(registry);
  const ctx: RegistryContext = {
    registry,
    base: new URL(`${useHttp ? 'http' : 'https'}://${registry}`),
    send: withAuth(retried, auth, retried),
    sendAnonymous: retried,
    credentialHint: credentialHint(auth),
  };

  return {
    description: `registry ${registry}`,
    registry,
    manifestGet: (repository, reference) => manifestGet(ctx, repository, reference),
    manifestHead: (repository, reference) => manifestHead(ctx, repository, reference),
    blobHead: (repository, digest) => blobHead(ctx, repository, digest),
    blobGet: (repository, digest, options) => blobGet(ctx, repository, digest, options?.offset ?? 0),
    tagList: (repository, options) => tagList(ctx, repository, options),
    referrers: (repository, digest, options) => referrers(ctx, repository, digest, options),
    blobPut: (repository, descriptor, open, options) =>
      blobPut(ctx, repository, descriptor, open, { ...(options?.signal ? { signal: options.signal } : {}), ...(uploadChunkSize ? { chunkSize: uploadChunkSize } : {}) }),
    blobMount: (repository, from, digest) => blobMount(ctx, repository, from, digest),
    manifestPut: (repository, reference, mediaType, body) => manifestPut(ctx, repository, reference, mediaType, body),
    catalog: (options) => catalog(ctx, options),
    manifestDelete: (repository, digest) => manifestDelete(ctx, repository, digest),
    blobDelete: (repository, digest) => blobDelete(ctx, repository, digest),
    ping: async () => {
      const res = await call(ctx, { method: 'GET', path: '/v2/', expect: [200], subject: {} });
      await drain(res.body);
    },
    close: transport.close,
  };
}
