/**
 * The chocolatey (NuGet v2) view end to end: a real ferry server (fs store) on 127.0.0.1:0, the
 * real `nuget` 2.8.7 client (Debian, on mono) pushing, listing and installing, and the OData
 * request/response shapes the v2 protocol documents (service document, $metadata, Packages(),
 * FindPackagesById(), Search() with $filter/$orderby/$top/$skip, paging, $count).
 * Chocolatey itself does not run here (no .NET/choco package); it speaks the same v2 protocol.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChocolateyFeedView } from '../../src/feeds/chocolatey/index.js';
import { copy } from '../../src/oci/index.js';
import { putHugeAnnounced, bearer, startFeedServer, type RunningFeedServer } from '../helpers/feed-server.js';
import { makeNupkg, makeZip, nuget, nuspec } from './chocolatey-fixtures.js';

const FEED = 'choco';
let server: RunningFeedServer;
let dir: string;
let src: string;

async function push(body: Buffer, token: string | null = server.writeToken, path = 'package'): Promise<Response> {
  const form = new FormData();
  form.append('package', new Blob([body]), 'package.nupkg');
  return fetch(`${src}${path}`, { method: 'PUT', body: form, headers: token ? { 'X-NuGet-ApiKey': token } : {} });
}

async function get(path: string): Promise<Response> {
  return fetch(`${src}${path}`, { headers: { authorization: bearer(server.readToken) } });
}

async function text(path: string): Promise<string> {
  const res = await get(path);
  expect(res.status).toBe(200);
  return res.text();
}

/** `Id@Version` of every entry of an Atom feed, in document order. */
function entries(xml: string): string[] {
  return [...xml.matchAll(/<entry>[\s\S]*?<d:Id>([^<]+)<\/d:Id><d:Version>([^<]+)<\/d:Version>/g)].map((m) => `${m[1]}@${m[2]}`);
}

async function count(): Promise<number> {
  return (await server.store.tagRecords({ feed: FEED })).length;
}

beforeAll(async () => {
  server = await startFeedServer({
    feeds: [
      { name: FEED, type: 'chocolatey' },
      { name: 'choco-spoke', type: 'chocolatey' },
    ],
    feedViews: [createChocolateyFeedView({ pageSize: 2 })],
  });
  src = `${server.url}/feeds/${FEED}/api/v2/`;
  dir = await mkdtemp(join(tmpdir(), 'ferry-choco-view-'));
}, 30_000);

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('chocolatey view: pushes', () => {
  it('refuses a push without a key (401) or with a read token (403)', async () => {
    const pkg = makeNupkg({ id: 'Nope', version: '1.0.0' });
    expect((await push(pkg, null)).status).toBe(401);
    expect((await push(pkg, server.readToken)).status).toBe(403);
    expect(await count()).toBe(0);
  });

  it('accepts pushes as multipart (PUT /package and PUT /) and as a raw body', async () => {
    expect((await push(makeNupkg({ id: 'Ferry.Base', version: '1.0.0' }))).status).toBe(201);
    expect((await push(makeNupkg({ id: 'Ferry.Base', version: '1.1.0-beta1' }), server.writeToken, '')).status).toBe(201);
    const raw = await fetch(`${src}package`, { method: 'PUT', body: makeNupkg({ id: 'Ferry.Base', version: '1.0.10' }), headers: { 'X-NuGet-ApiKey': server.writeToken } });
    expect(raw.status).toBe(201);
    expect((await push(makeNupkg({ id: 'ferry.base', version: '1.0.10' }))).status).toBe(409); // same id (any case) and version
    expect(await count()).toBe(3);
  });

  const spec = Buffer.from(nuspec({ id: 'Evil', version: '1.0.0' }));
  it.each([
    ['a zip bomb', 400, 'FEED_INVALID_PACKAGE', () => makeZip([{ name: 'Evil.nuspec', data: spec }, { name: 'bomb', data: Buffer.alloc(64 * 1024 * 1024) }])],
    ['a path traversal entry', 400, 'FEED_INVALID_PACKAGE', () => makeZip([{ name: 'Evil.nuspec', data: spec }, { name: '../../evil.ps1', data: Buffer.from('x') }])],
    ['a package without nuspec', 400, 'FEED_INVALID_PACKAGE', () => makeZip([{ name: 'tools/a.ps1', data: Buffer.from('x') }])],
    ['a bad id', 400, 'FEED_INVALID_NAME', () => makeNupkg({ id: 'bad id!', version: '1.0.0' })],
    ['a bad version', 400, 'FEED_INVALID_VERSION', () => makeNupkg({ id: 'Evil', version: '1.0.0.0.0' })],
  ])('refuses %s with %i %s, storing nothing', async (_label, status, code, build) => {
    const before = await text('Packages()');
    const res = await push(build());
    expect(res.status).toBe(status);
    expect(((await res.json()) as { errors: Array<{ code: string }> }).errors[0]?.code).toBe(code);
    expect(await count()).toBe(3);
    expect(entries(await text('Packages()'))).toEqual(entries(before));
  });

  it('refuses a 10 GB Content-Length before reading the body (413)', async () => {
    const status = await putHugeAnnounced(`${src}package`, { 'x-nuget-apikey': server.writeToken });
    expect(status).toBe(413);
    expect(await count()).toBe(3);
  });
});

describe('chocolatey view: OData', () => {
  it('serves the service document and $metadata', async () => {
    const service = await text('');
    expect(service).toContain('<collection href="Packages">');
    expect(service).toContain(`xml:base="${src}"`);
    const metadata = await text('$metadata');
    expect(metadata).toContain('<EntityType Name="V2FeedPackage" m:HasStream="true">');
    expect(metadata).toContain('<FunctionImport Name="FindPackagesById"');
  });

  it('answers Packages(Id,Version) with latest flags, hash and download link', async () => {
    const entry = await text("Packages(Id='Ferry.Base',Version='1.0.10')");
    expect(entry).toContain('<d:IsLatestVersion m:type="Edm.Boolean">true</d:IsLatestVersion>');
    expect(entry).toContain('<d:IsAbsoluteLatestVersion m:type="Edm.Boolean">false</d:IsAbsoluteLatestVersion>');
    expect(entry).toContain('<d:PackageHashAlgorithm>SHA512</d:PackageHashAlgorithm>');
    expect(entry).toContain(`<content type="application/zip" src="${src}package/Ferry.Base/1.0.10"/>`);
    expect((await get("Packages(Id='Ferry.Base',Version='9.9.9')")).status).toBe(404);
    const pre = await text("Packages(Id='ferry.base',Version='1.1.0-beta1')");
    expect(pre).toContain('<d:IsAbsoluteLatestVersion m:type="Edm.Boolean">true</d:IsAbsoluteLatestVersion>');
    expect(pre).toContain('<d:IsPrerelease m:type="Edm.Boolean">true</d:IsPrerelease>');
  });

  it('answers FindPackagesById and Search with $filter, $orderby and paging', async () => {
    expect(entries(await text("FindPackagesById()?id='ferry.base'&$orderby=Version desc&$top=2"))).toEqual(['Ferry.Base@1.1.0-beta1', 'Ferry.Base@1.0.10']);
    expect(entries(await text("Search()?$filter=IsLatestVersion&searchTerm='base'&targetFramework=''&includePrerelease=false"))).toEqual(['Ferry.Base@1.0.10']);
    expect(entries(await text("Search()?$filter=IsAbsoluteLatestVersion&searchTerm=''&targetFramework=''&includePrerelease=true"))).toEqual(['Ferry.Base@1.1.0-beta1']);
    expect(entries(await text("Packages()?$filter=(tolower(Id) eq 'ferry.base') and IsLatestVersion"))).toEqual(['Ferry.Base@1.0.10']);
    expect(entries(await text("Search()?searchTerm='nothing-like-this'&includePrerelease=true"))).toEqual([]);
    expect((await get('Packages()?$filter=Secret eq 1')).status).toBe(400);
  });

  it('answers GetUpdates', async () => {
    const updates = (q: string): Promise<string[]> => text(`GetUpdates()?packageIds='Ferry.Base|Missing'&versions='1.0.0|1.0'&${q}`).then(entries);
    expect(await updates("includePrerelease=false&includeAllVersions=false&targetFrameworks=''")).toEqual(['Ferry.Base@1.0.10']);
    expect(await updates('includePrerelease=true&includeAllVersions=true')).toEqual(['Ferry.Base@1.0.10', 'Ferry.Base@1.1.0-beta1']);
  });

  it('pages with <link rel="next"> and counts', async () => {
    const first = await text('Packages()?$orderby=Version&$inlinecount=allpages');
    expect(first).toContain('<m:count>3</m:count>');
    expect(entries(first)).toEqual(['Ferry.Base@1.0.0', 'Ferry.Base@1.0.10']);
    const next = /<link rel="next" href="([^"]+)"/.exec(first)?.[1]?.replace(/&amp;/g, '&');
    expect(next).toBeDefined();
    const second = await (await fetch(next!, { headers: { authorization: bearer(server.readToken) } })).text();
    expect(entries(second)).toEqual(['Ferry.Base@1.1.0-beta1']);
    expect(second).not.toContain('rel="next"');
    expect(await text('Packages()/$count')).toBe('3');
    expect(await text("Search()/$count?searchTerm='ferry'&includePrerelease=false")).toBe('2');
  });

  it('downloads a package and deletes one with the write token', async () => {
    const res = await get('package/ferry.base/1.0.10.0');
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(makeNupkg({ id: 'Ferry.Base', version: '1.0.10' }))).toBe(true);
    const media = await get("Packages(Id='Ferry.Base',Version='1.0.10')/$value");
    expect(media.status).toBe(200);
    expect(Buffer.from(await media.arrayBuffer()).equals(makeNupkg({ id: 'Ferry.Base', version: '1.0.10' }))).toBe(true);
    const del = (token: string): Promise<Response> => fetch(`${src}package/Ferry.Base/1.0.0`, { method: 'DELETE', headers: { 'X-NuGet-ApiKey': token } });
    expect((await del(server.readToken)).status).toBe(403);
    expect((await del(server.writeToken)).status).toBe(204);
    expect((await get('package/Ferry.Base/1.0.0')).status).toBe(404);
    expect(await count()).toBe(2);
  });
});

describe('chocolatey view: replicated content', () => {
  it('serves packages copied in as OCI artifacts under another feed name', async () => {
    const spoke = `${server.url}/feeds/choco-spoke/api/v2/`;
    const read = (path: string): Promise<Response> => fetch(`${spoke}${path}`, { headers: { authorization: bearer(server.readToken) } });
    for (const tag of await server.store.tagRecords({ feed: FEED })) {
      await copy(server.store, { repository: tag.repository, reference: tag.tag }, server.store, { repository: tag.repository.replace(`${FEED}/`, 'choco-spoke/'), reference: tag.tag });
    }
    expect(await (await read('Packages()/$count')).text()).toBe('2');
    const entry = await (await read("Packages(Id='Ferry.Base',Version='1.0.10')")).text();
    expect(entry).toContain(`<content type="application/zip" src="${spoke}package/Ferry.Base/1.0.10"/>`);
    const file = await read('package/Ferry.Base/1.0.10');
    expect(Buffer.from(await file.arrayBuffer()).equals(makeNupkg({ id: 'Ferry.Base', version: '1.0.10' }))).toBe(true);
  });
});

describe('chocolatey view: SemVer 2.0.0', () => {
  it('hides SemVer 2.0.0 versions from clients that do not send semVerLevel=2.0.0', async () => {
    expect((await push(makeNupkg({ id: 'Ferry.Base', version: '2.0.0-rc.1' }))).status).toBe(201);
    // (this server pages every 2 entries)
    expect(entries(await text("FindPackagesById()?id='Ferry.Base'&$orderby=Version desc"))).toEqual(['Ferry.Base@1.1.0-beta1', 'Ferry.Base@1.0.10']);
    expect(entries(await text("FindPackagesById()?id='Ferry.Base'&$orderby=Version desc&semVerLevel=2.0.0"))).toEqual(['Ferry.Base@2.0.0-rc.1', 'Ferry.Base@1.1.0-beta1']);
    expect(await text("FindPackagesById()/$count?id='Ferry.Base'&semVerLevel=2.0.0")).toBe('3');
    // Latest flags follow what the client can see.
    expect(entries(await text("Search()?$filter=IsAbsoluteLatestVersion&searchTerm='base'&includePrerelease=true"))).toEqual(['Ferry.Base@1.1.0-beta1']);
    expect(entries(await text("Search()?$filter=IsAbsoluteLatestVersion&searchTerm='base'&includePrerelease=true&semVerLevel=2.0.0"))).toEqual(['Ferry.Base@2.0.0-rc.1']);
  });
});

describe('chocolatey view: the real nuget client', () => {
  it('pushes, lists, installs and deletes with nuget 2.8 (mono)', async () => {
    // The feed needs a token to read: nuget 2.8 sends it as the Basic password from its config;
    // pushes carry the write token as X-NuGet-ApiKey.
    await writeFile(
      join(dir, 'NuGet.Config'),
      `<?xml version="1.0" encoding="utf-8"?><configuration><packageSourceCredentials><ferry>` +
        `<add key="Username" value="nuget"/><add key="ClearTextPassword" value="${server.readToken}"/>` +
        `</ferry></packageSourceCredentials><packageSources><add key="ferry" value="${src}"/></packageSources></configuration>`,
    );
    const cfg = ['-ConfigFile', join(dir, 'NuGet.Config')];
    const app = { id: 'Ferry.App', version: '1.2.3', dependencies: [{ id: 'Ferry.Base', version: '1.0.0' }], extra: { docsUrl: 'https://docs.example.invalid/app' } };
    await writeFile(join(dir, 'Ferry.App.1.2.3.nupkg'), makeNupkg(app));
    await expect(nuget(['push', 'Ferry.App.1.2.3.nupkg', '-Source', 'ferry', '-ApiKey', server.readToken, ...cfg], dir)).rejects.toThrow();
    const pushed = await nuget(['push', 'Ferry.App.1.2.3.nupkg', '-Source', 'ferry', '-ApiKey', server.writeToken, ...cfg], dir);
    expect(pushed).toContain('Your package was pushed');

    // Chocolatey's extra properties do not disturb nuget 2.8 (it ignores unknown properties).
    expect(await text("Packages(Id='Ferry.App',Version='1.2.3')")).toContain('<d:DocsUrl>https://docs.example.invalid/app</d:DocsUrl>');
    const listed = await nuget(['list', '-Source', 'ferry', '-AllVersions', '-Prerelease', ...cfg], dir);
    expect(listed.split('\n').filter((l) => /^Ferry\./.test(l))).toEqual(['Ferry.App 1.2.3', 'Ferry.Base 1.0.10', 'Ferry.Base 1.1.0-beta1']);

    const installed = await nuget(['install', 'Ferry.App', '-Source', 'ferry', '-OutputDirectory', join(dir, 'out'), ...cfg], dir);
    expect(installed).toContain("Successfully installed 'Ferry.App 1.2.3'");
    expect((await readdir(join(dir, 'out'))).sort()).toEqual(['Ferry.App.1.2.3', 'Ferry.Base.1.0.10']);
    expect(await readFile(join(dir, 'out', 'Ferry.App.1.2.3', 'content', 'readme.txt'), 'utf8')).toBe('readme of Ferry.App 1.2.3\n');

    await nuget(['delete', 'Ferry.App', '1.2.3', '-Source', 'ferry', '-ApiKey', server.writeToken, ...cfg], dir);
    expect((await get('package/Ferry.App/1.2.3')).status).toBe(404);
  }, 180_000);
});
