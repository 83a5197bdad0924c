import { describe, expect, it } from 'vitest';
import { formatReference, isLoopbackRegistry, parseReference, parseChallenge } from '../../src/oci/index.js';
import { parseRetryAfter } from '../../src/oci/http/retry.js';
import { parseManifest } from '../../src/oci/manifest.js';
import { nextFromLink } from '../../src/oci/registry-http.js';
import { parseCredentials } from '../../src/cli/commands/copy.js';
import { isFerryError } from '../../src/errors/index.js';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseReference', () => {
  it.each([
    ['127.0.0.1:5000/apps/web:v1', { kind: 'registry', registry: '127.0.0.1:5000', repository: 'apps/web', tag: 'v1' }],
    ['docker://registry.example.net/a/b/c', { kind: 'registry', registry: 'registry.example.net', repository: 'a/b/c' }],
    [`localhost/x@${D}`, { kind: 'registry', registry: 'localhost', repository: 'x', digest: D }],
    [`host.io:443/x/y:1.0@${D}`, { kind: 'registry', registry: 'host.io:443', repository: 'x/y', tag: '1.0', digest: D }],
    ['[::1]:5000/x:t', { kind: 'registry', registry: '[::1]:5000', repository: 'x', tag: 't' }],
    ['reg.io/a__b/c-d/e.f_g', { kind: 'registry', registry: 'reg.io', repository: 'a__b/c-d/e.f_g' }],
    ['oci:/tmp/layout', { kind: 'layout', path: '/tmp/layout' }],
    ['oci:./dir:v2', { kind: 'layout', path: './dir', tag: 'v2' }],
  ])('parses %s', (input, expected) => {
    expect(parseReference(input)).toEqual(expected);
  });

  it.each([
    ['nginx:latest', 'no host'],
    ['library/nginx', 'first component is not a host'],
    ['reg.io/UPPER/case', 'uppercase repository'],
    ['reg.io/a//b', 'empty component'],
    ['reg.io/a:bad tag', 'invalid tag'],
    ['reg.io/a@sha256:short', 'short digest'],
    ['reg.io/a@md5:0123456789abcdef0123456789abcdef', 'other algorithm'],
    [`reg.io/${'a'.repeat(256)}`, 'repository too long'],
    ['reg.io/a-/b', 'trailing separator'],
    ['oci:', 'empty layout path'],
    ['oci:/x:bad/tag', 'invalid layout tag'],
  ])('rejects %s (%s) with OCI_REFERENCE_INVALID', (input) => {
    let err: unknown;
    try {
      parseReference(input);
    } catch (e) {
      err = e;
    }
    expect(isFerryError(err, 'OCI_REFERENCE_INVALID')).toBe(true);
  });

  it('formats references back', () => {
    expect(formatReference(parseReference(`reg.io/a/b:v1@${D}`))).toBe(`reg.io/a/b:v1@${D}`);
    expect(formatReference(parseReference('oci:/d:t'))).toBe('oci:/d:t');
  });

  it.each([
    ['127.0.0.1:5000', true],
    ['127.1.2.3', true],
    ['localhost:80', true],
    ['[::1]:5000', true],
    ['10.0.0.1:5000', false],
    ['registry.example.net', false],
  ])('isLoopbackRegistry(%s) = %s', (host, expected) => {
    expect(isLoopbackRegistry(host)).toBe(expected);
  });
});

describe('protocol helpers', () => {
  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('reads the next page from a Link header', () => {
    const base = new URL('http://r.io');
    expect(nextFromLink('</v2/_catalog?last=b&n=2>; rel="next"', base)).toBe('b');
    expect(nextFromLink(undefined, base)).toBeUndefined();
  });

  it('parses challenges with escaped quotes', () => {
    expect(parseChallenge('Bearer realm="http://a/t\\"x",service=s')?.params).toEqual({ realm: 'http://a/t"x', service: 's' });
  });

  it.each([
    ['user:pass:word', { username: 'user', password: 'pass:word' }],
    ['ferry_abc', { token: 'ferry_abc' }],
    ['', undefined],
  ])('parses credentials %s', (input, expected) => {
    expect(parseCredentials(input)).toEqual(expected);
  });

  it.each([
    ['schema 1', { schemaVersion: 1, fsLayers: [] }, 'OCI_UNSUPPORTED_MEDIA_TYPE'],
    ['unknown type', { schemaVersion: 2, mediaType: 'application/x-foo' }, 'OCI_UNSUPPORTED_MEDIA_TYPE'],
    ['bad descriptor', { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { digest: 'x' } }, 'OCI_MANIFEST_INVALID'],
    ['non-sha256 layer', { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'a', digest: D, size: 1 }, layers: [{ mediaType: 'a', digest: `sha512:${'b'.repeat(128)}`, size: 1 }] }, 'OCI_UNSUPPORTED_MEDIA_TYPE'],
  ])('refuses a manifest: %s', (_name, json, code) => {
    let err: unknown;
    try {
      parseManifest(Buffer.from(JSON.stringify(json)), undefined);
    } catch (e) {
      err = e;
    }
    expect(isFerryError(err, code)).toBe(true);
  });

  it('refuses a manifest over 4 MiB', () => {
    let err: unknown;
    try {
      parseManifest(Buffer.alloc(4 * 1024 * 1024 + 1, 0x20), undefined);
    } catch (e) {
      err = e;
    }
    expect(isFerryError(err, 'OCI_MANIFEST_TOO_LARGE')).toBe(true);
  });
});
