/**
 * Client for a peer ferry site's change feed: `GET /api/v1/feeds/<feed>/changes?since=N&limit=M`.
 * An idle poll is exactly one request. Responses are size-capped and shape-checked.
 */
import { FerryError, NextAction } from '../errors/index.js';
import type { ChangePage } from '../store/store.js';
import { peerNetworkError, peerStatusError, ReplicationErrorCode, type PeerErrorContext } from './errors.js';

const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export interface ChangesRequest {
  peer: PeerErrorContext;
  feed: string;
  since: number;
  limit: number;
  token?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  onRequest?: (method: string, url: string) => void;
}

async function readCapped(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_RESPONSE_BYTES) {
      await reader.cancel();
      throw new FerryError(ReplicationErrorCode.peerProtocol, `change feed response larger than ${MAX_RESPONSE_BYTES} bytes`, { next: NextAction.backoff });
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function isChangePage(value: unknown): value is ChangePage {
  const v = value as ChangePage;
  return typeof v === 'object' && v !== null && Array.isArray(v.changes) && typeof v.last === 'number'
    && v.changes.every((c) => typeof c.seq === 'number' && typeof c.repository === 'string' && typeof c.op === 'string' && typeof c.digest === 'string');
}

export async function fetchChanges(request: ChangesRequest): Promise<ChangePage> {
  const { peer, feed, since, limit, token, timeoutMs = 30_000 } = request;
  const url = new URL(`/api/v1/feeds/${encodeURIComponent(feed)}/changes`, peer.url);
  url.searchParams.set('since', String(since));
  url.searchParams.set('limit', String(limit));
  request.onRequest?.('GET', url.toString());
  const signals = [AbortSignal.timeout(timeoutMs), ...(request.signal ? [request.signal] : [])];
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      signal: AbortSignal.any(signals),
    });
  } catch (err) {
    throw peerNetworkError(err, peer);
  }
  if (!response.ok) {
    const detail = await readCapped(response).catch(() => '');
    throw peerStatusError(response.status, peer, detail.slice(0, 200));
  }
  const body = await readCapped(response);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new FerryError(ReplicationErrorCode.peerProtocol, `${peer.site} sent a change feed that is not JSON`, { data: { site: peer.site }, next: NextAction.backoff });
  }
  if (!isChangePage(parsed)) {
    throw new FerryError(ReplicationErrorCode.peerProtocol, `${peer.site} sent a malformed change feed`, { data: { site: peer.site }, next: NextAction.backoff });
  }
  return parsed;
}
