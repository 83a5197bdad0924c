/**
 * A free TCP port on 127.0.0.1, for callers that must know a port before a server starts (site
 * URLs go into the topology before the controllers run: the demo and tests). Reserved by
 * listening on port 0 and released again, so another process could take it in between; use it
 * only on loopback where that race is harmless.
 */
import { createServer } from 'node:net';

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
