/**
 * Test packages for the chocolatey view: a minimal ZIP writer (so tests can build hostile
 * archives a packer would refuse to make: zip bombs, `../` names, lying sizes), nuspec text, and
 * the real `nuget` 2.8 client (mono) run under a pseudo-terminal — on a pipe its console
 * word-wrapping loops forever printing newlines (Console.WindowWidth is 0), so `script` gives it
 * a terminal with a width.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { deflateRawSync, crc32 } from 'node:zlib';

const run = promisify(execFile);

export interface ZipInput {
  name: string;
  data: Buffer;
  /** 8 = deflate (default), 0 = stored. */
  method?: 0 | 8;
  /** Uncompressed size written in the headers (default: the real one). */
  declaredSize?: number;
}

/** A ZIP archive (APPNOTE 4.3) of `entries`. */
export function makeZip(entries: ZipInput[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const method = e.method ?? 8;
    const body = method === 8 ? deflateRawSync(e.data) : e.data;
    const name = Buffer.from(e.name, 'utf8');
    const size = e.declaredSize ?? e.data.length;
    const crc = crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

export interface NuspecInput {
  id: string;
  version: string;
  description?: string;
  tags?: string;
  dependencies?: Array<{ id: string; version: string }>;
  /** Extra metadata elements, e.g. Chocolatey's `docsUrl`. */
  extra?: Record<string, string>;
}

export function nuspec(p: NuspecInput): string {
  const deps = (p.dependencies ?? []).map((d) => `<dependency id="${d.id}" version="${d.version}"/>`).join('');
  return (
    `<?xml version="1.0" encoding="utf-8"?>\n<package xmlns="http://schemas.microsoft.com/packaging/2010/07/nuspec.xsd"><metadata>` +
    `<id>${p.id}</id><version>${p.version}</version><title>${p.id} title</title><authors>Ferry Tests</authors>` +
    `<description>${p.description ?? `The ${p.id} package &amp; friends`}</description><tags>${p.tags ?? 'ferry test'}</tags>` +
    Object.entries(p.extra ?? {}).map(([k, v]) => `<${k}>${v}</${k}>`).join('') +
    (deps ? `<dependencies>${deps}</dependencies>` : '') +
    `</metadata></package>`
  );
}

/** A small valid .nupkg (nuspec + one content file + the OPC parts NuGet 2 needs to find the manifest). */
export function makeNupkg(p: NuspecInput, extra: ZipInput[] = []): Buffer {
  return makeZip([
    { name: `${p.id}.nuspec`, data: Buffer.from(nuspec(p)) },
    { name: 'content/readme.txt', data: Buffer.from(`readme of ${p.id} ${p.version}\n`) },
    {
      name: '_rels/.rels',
      data: Buffer.from(
        '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
          `<Relationship Id="Re0" Target="/${p.id}.nuspec" Type="http://schemas.microsoft.com/packaging/2010/07/manifest"/></Relationships>`,
      ),
    },
    {
      name: '[Content_Types].xml',
      data: Buffer.from(
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
          '<Default Extension="nuspec" ContentType="application/octet"/><Default Extension="txt" ContentType="application/octet"/></Types>',
      ),
    },
    ...extra,
  ]);
}

/** Runs the real `nuget` client in `cwd` under a pseudo-terminal; resolves with its output (escapes removed). */
export async function nuget(args: string[], cwd: string): Promise<string> {
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  // eslint-disable-next-line no-control-regex
  const clean = (s: string): string => s.replace(/\u001b\[[0-9;?]*[A-Za-z]|\u001b[=>]|\r/g, '');
  try {
    const { stdout } = await run('script', ['-qec', `stty cols 200 rows 50; nuget ${quoted} -NonInteractive`, '/dev/null'], {
      cwd,
      timeout: 120_000,
      maxBuffer: 4 * 1024 * 1024,
      // TERM=xterm: with TERM=dumb mono's console reports width 0 and nuget loops the same way.
      env: { ...process.env, HOME: cwd, TERM: 'xterm' },
    });
    return clean(stdout);
  } catch (err) {
    const out = clean(String((err as { stdout?: string }).stdout ?? ''));
    throw new Error(`nuget ${args[0]} failed: ${out.slice(-2000)}`);
  }
}
