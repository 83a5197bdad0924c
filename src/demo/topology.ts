/**
 * The demo topology: `examples/hub-and-spoke` made runnable on one machine — site URLs point at
 * loopback ports, fresh sync tokens replace the example's hashes (a read token for the stores,
 * a write token for the publisher), schedules run every minute, and only the hub and the first
 * two stores are kept. Everything else is the example as written.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { hashToken } from '../util/token.js';

export interface DemoTopologyInput {
  exampleDir: string;
  ports: Record<string, number>;
  readToken: string;
  writeToken: string;
  keepSites: readonly string[];
}

type Doc = { kind?: string; metadata?: { name?: string }; spec?: Record<string, any> };

export async function demoTopologyFiles(input: DemoTopologyInput): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const name of (await readdir(input.exampleDir)).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    const docs = parseAllDocuments(await readFile(join(input.exampleDir, name), 'utf8')).map((d) => d.toJS() as Doc);
    const kept = docs.filter((d) => d.kind !== 'Site' || input.keepSites.includes(d.metadata?.name ?? ''));
    for (const doc of kept) {
      const site = doc.metadata?.name ?? '';
      if (doc.kind === 'Site' && doc.spec) {
        doc.spec.url = `http://127.0.0.1:${input.ports[site]}`;
        if (Array.isArray(doc.spec.incoming)) {
          doc.spec.incoming = [
            ...doc.spec.incoming.map((rule: Record<string, unknown>) => ({ ...rule, tokenSha256: hashToken(input.readToken) })),
            { name: 'demo-publisher', tokenSha256: hashToken(input.writeToken), access: 'write', feeds: ['*'] },
          ];
        }
      }
      if (doc.kind === 'Replication' && doc.spec) doc.spec.schedule = '* * * * *';
    }
    files[`topology/${name}`] = kept.map((d) => stringify(d)).join('---\n');
  }
  return files;
}
