/**
 * References, per the distribution reference grammar (distribution/reference/regexp.go):
 *   registry:  `[docker://]host[:port]/repo/name[:tag][@sha256:<hex>]` — the host is required
 *              (ferry never guesses Docker Hub); a first component is a host when it contains
 *              `.` or `:` or is `localhost`.
 *   layout:    `oci:DIR[:tag]` — an OCI image layout directory (skopeo's `oci:` transport).
 */
import { FerryError } from '../errors/index.js';
import { OciErrorCode } from './errors.js';

export const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
export const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
export const DIGEST = /^sha256:[a-f0-9]{64}$/;
const HOST = /^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*|\[[a-fA-F0-9:]+\])(?::[0-9]{1,5})?$/;
const MAX_REPOSITORY = 255;

export interface RegistryReference {
  kind: 'registry';
  /** `host[:port]` */
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

export interface LayoutReference {
  kind: 'layout';
  path: string;
  tag?: string;
}

export type Reference = RegistryReference | LayoutReference;

function invalid(input: string, why: string): FerryError {
  return new FerryError(OciErrorCode.referenceInvalid, `invalid reference ${JSON.stringify(input)}: ${why}`, { data: { reference: input } });
}

/** True for a repository name the distribution spec accepts (`a/b-c/d_e.f`, at most 255 chars). */
export function isValidRepository(name: string): boolean {
  return name.length > 0 && name.length <= MAX_REPOSITORY && name.split('/').every((c) => COMPONENT.test(c));
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

export function isDigest(reference: string): boolean {
  return DIGEST.test(reference);
}

/** Parses a reference; throws OCI_REFERENCE_INVALID with the reason. */
export function parseReference(input: string): Reference {
  if (input.startsWith('oci:')) return parseLayout(input);
  let rest = input.startsWith('docker://') ? input.slice('docker://'.length) : input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(input, 'digest must be sha256:<64 lowercase hex>');
  }
  const slash = rest.indexOf('/');
  if (slash < 0) throw invalid(input, 'expected host[:port]/repository');
  const registry = rest.slice(0, slash);
  if (!(registry.includes('.') || registry.includes(':') || registry === 'localhost')) {
    throw invalid(input, 'the registry host is required (e.g. registry.example.net/repo or 127.0.0.1:5000/repo)');
  }
  if (!HOST.test(registry)) throw invalid(input, `invalid registry host ${JSON.stringify(registry)}`);
  let path = rest.slice(slash + 1);
  let tag: string | undefined;
  const lastSlash = path.lastIndexOf('/');
  const colon = path.indexOf(':', lastSlash + 1);
  if (colon >= 0) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(input, `invalid tag ${JSON.stringify(tag)}`);
  }
  if (!isValidRepository(path)) throw invalid(input, `invalid repository name ${JSON.stringify(path)} (lowercase components separated by /)`);
  const ref: RegistryReference = { kind: 'registry', registry, repository: path };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

function parseLayout(input: string): LayoutReference {
  const body = input.slice('oci:'.length);
  const colon = body.indexOf(':');
  const path = colon >= 0 ? body.slice(0, colon) : body;
  const tag = colon >= 0 ? body.slice(colon + 1) : undefined;
  if (path.length === 0) throw invalid(input, 'expected oci:DIR[:tag]');
  if (tag !== undefined && !TAG.test(tag)) throw invalid(input, `invalid tag ${JSON.stringify(tag)}`);
  return tag === undefined ? { kind: 'layout', path } : { kind: 'layout', path, tag };
}

/** `host/repo:tag@digest` for messages (never contains credentials: references cannot). */
export function formatReference(ref: Reference): string {
  if (ref.kind === 'layout') return `oci:${ref.path}${ref.tag ? `:${ref.tag}` : ''}`;
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** True for `127.0.0.0/8`, `::1` and `localhost` hosts (plain HTTP is allowed there without a flag). */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith('[') ? registry.slice(1, registry.indexOf(']')) : registry.split(':')[0] ?? '';
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
