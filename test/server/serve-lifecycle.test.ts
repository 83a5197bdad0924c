/**
 * `ferry serve` lifecycle: SIGTERM lets an in-flight upload finish (and refuses new connections),
 * then exits 0 with the store closed; the data survives into a new process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { bearer, makeToken, sha256 } from './helpers.js';
import { spawnServe } from './processes.js';

const writer = makeToken('writer', 'write', ['*']);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-serve-life-'));
  await writeFile(join(dir, 'incoming.yaml'), stringify([writer.rule]));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const args = () => ['--data', join(dir, 'data'), '--listen', '127.0.0.1:0', '--incoming', join(dir, 'incoming.yaml')];

describe('ferry serve shutdown', () => {
  it('finishes an in-flight upload after SIGTERM, then exits 0; the blob is there after a restart', async () => {
    const serve = await spawnServe(args());
    const [host, port] = serve.host.split(':');
    const start = await fetch(`http://${serve.host}/v2/apps/slow/blobs/uploads/`, { method: 'POST', headers: bearer(writer.token) });
    expect(start.status).toBe(202);
    const location = start.headers.get('location')!;
    const data = randomBytes(200_000);

    // Send half of a monolithic PUT, then SIGTERM, then the rest.
    const response = new Promise<number>((ok, fail) => {
      const req = request(
        { host, port: Number(port), method: 'PUT', path: `${location}?digest=${sha256(data)}`, headers: { ...bearer(writer.token), 'content-length': data.length } },
        (res) => {
          res.resume();
          ok(res.statusCode ?? 0);
        },
      );
      req.on('error', fail);
      req.write(data.subarray(0, 100_000));
      setTimeout(() => {
        const exited = serve.stop();
        setTimeout(() => {
          req.end(data.subarray(100_000));
          void exited;
        }, 300);
      }, 200);
    });
    expect(await response).toBe(201);
    expect(await serve.stop()).toBe(0);

    const again = await spawnServe(args());
    try {
      const head = await fetch(`http://${again.host}/v2/apps/slow/blobs/${sha256(data)}`, { method: 'HEAD', headers: bearer(writer.token) });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(data.length));
    } finally {
      expect(await again.stop()).toBe(0);
    }
  });
});
