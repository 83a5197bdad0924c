/**
 * A fault-injecting HTTP proxy on 127.0.0.1:0 in front of a real registry. Rules pick requests
 * (method + path) and break their responses: cut the connection mid-body, end it early
 * (truncate), flip a byte, answer a status (500, 429/503 with Retry-After), stall, or throttle.
 * Counts response body bytes it forwarded, so tests can prove a transfer resumed.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  | { kind: 'cut'; afterBytes: number }
  | { kind: 'truncate'; afterBytes: number }
  | { kind: 'flip'; atByte: number }
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'stall'; afterBytes: number; ms: number }
  | { kind: 'slow'; bytesPerSecond: number };

export interface FaultRule {
  method?: string;
  /** Substring or pattern of the path (with query). */
  path?: string | RegExp;
  fault: Fault;
  /** How many matching requests get the fault (default 1; Infinity for all). */
  times?: number;
}

export interface FaultProxy {
  host: string;
  url: string;
  /** Body bytes forwarded to clients (all responses). */
  bytesSent: number;
  requests: Array<{ method: string; path: string; status: number; range?: string }>;
  addRule(rule: FaultRule): void;
  clearRules(): void;
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const rules: Array<FaultRule & { used: number }> = [];
  const sockets = new Set<Socket>();
  const proxy: FaultProxy = {
    host: '',
    url: '',
    bytesSent: 0,
    requests: [],
    addRule: (rule) => rules.push({ ...rule, used: 0 }),
    clearRules: () => rules.splice(0),
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };

  const pick = (method: string, path: string): Fault | undefined => {
    for (const rule of rules) {
      if (rule.used >= (rule.times ?? 1)) continue;
      if (rule.method && rule.method !== method) continue;
      if (rule.path && !(typeof rule.path === 'string' ? path.includes(rule.path) : rule.path.test(path))) continue;
      rule.used++;
      return rule.fault;
    }
    return undefined;
  };

  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const fault = pick(method, path);
    const record = { method, path, status: 0, ...(req.headers.range ? { range: req.headers.range } : {}) };
    proxy.requests.push(record);
    if (fault?.kind === 'status') {
      record.status = fault.status;
      req.resume();
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (fault.retryAfter) headers['retry-after'] = fault.retryAfter;
      res.writeHead(fault.status, headers).end(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'injected fault' }] }));
      return;
    }
    const [host, port] = upstream.split(':');
    const forward = http.request({ host, port: Number(port), method, path, headers: req.headers }, (up) => {
      record.status = up.statusCode ?? 0;
      res.writeHead(up.statusCode ?? 502, up.headers);
      void pump(up, res, fault);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });

  const pump = async (up: http.IncomingMessage, res: http.ServerResponse, fault: Fault | undefined): Promise<void> => {
    let sent = 0;
    try {
      for await (const raw of up) {
        let chunk = raw as Buffer;
        if (fault?.kind === 'flip' && fault.atByte >= sent && fault.atByte < sent + chunk.length) {
          chunk = Buffer.from(chunk);
          const i = fault.atByte - sent;
          chunk[i] = (chunk[i] ?? 0) ^ 0xff;
        }
        if ((fault?.kind === 'cut' || fault?.kind === 'truncate' || fault?.kind === 'stall') && sent + chunk.length > fault.afterBytes) {
          const head = chunk.subarray(0, Math.max(0, fault.afterBytes - sent));
          if (head.length > 0) await write(res, head);
          sent += head.length;
          proxy.bytesSent += head.length;
          if (fault.kind === 'stall') {
            await sleep(fault.ms);
            chunk = chunk.subarray(head.length);
          } else {
            up.destroy();
            if (fault.kind === 'cut') res.socket?.resetAndDestroy();
            else res.socket?.end();
            return;
          }
        }
        if (fault?.kind === 'slow') await sleep((chunk.length / fault.bytesPerSecond) * 1000);
        if (res.destroyed) {
          up.destroy();
          return;
        }
        await write(res, chunk);
        sent += chunk.length;
        proxy.bytesSent += chunk.length;
      }
      res.end();
    } catch {
      res.destroy();
    }
  };

  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  proxy.host = `127.0.0.1:${port}`;
  proxy.url = `http://${proxy.host}`;
  return proxy;
}

function write(res: http.ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (res.write(chunk)) return resolve();
    const onDrain = (): void => {
      res.off('close', onClose);
      resolve();
    };
    const onClose = (): void => {
      res.off('drain', onDrain);
      reject(new Error('client went away'));
    };
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}
