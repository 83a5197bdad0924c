/**
 * Reading an APT repository's indexes (Debian wiki "DebianRepository/Format"): the `Release` of a
 * dist (its SHA256 list is what every other index is checked against) and `Packages` files,
 * parsed as a stream of stanzas with the debian feed's own deb822 parser (`parseControl`), so a
 * big index is never held whole in memory.
 */
import { StringDecoder } from 'node:string_decoder';
import { controlField, parseControl, type ControlFields } from '../debian/index.js';
import { upstreamError, UpstreamErrorCode } from './errors.js';

export interface ReleaseEntry {
  size: number;
  sha256: string;
}

export interface ReleaseIndex {
  fields: ControlFields;
  /** `main/binary-amd64/Packages.gz` → size and sha256, from the SHA256 section. */
  files: Map<string, ReleaseEntry>;
  components: string[];
  architectures: string[];
}

function invalid(message: string, data: Record<string, unknown> = {}, cause?: unknown): Error {
  return upstreamError(UpstreamErrorCode.indexInvalid, message, data, cause);
}

function parseParagraph(text: string, what: string): ControlFields {
  try {
    return parseControl(text);
  } catch (err) {
    throw invalid(`malformed ${what}`, { what }, err);
  }
}

/**
 * Parses a (verified) Release text. Refuses one without a SHA256 section (APT 2.x does too) and
 * one whose `Valid-Until` has passed (a replayed old Release), like APT.
 */
export function parseRelease(text: string, now: Date = new Date()): ReleaseIndex {
  const fields = parseParagraph(text, 'Release file');
  const sha = controlField(fields, 'SHA256');
  if (!sha) throw invalid('the Release file has no SHA256 section');
  const validUntil = controlField(fields, 'Valid-Until');
  if (validUntil && Date.parse(validUntil.replace(/UTC$/, 'GMT')) < now.getTime()) {
    throw invalid('the Release file has expired (Valid-Until is in the past)', { validUntil });
  }
  const files = new Map<string, ReleaseEntry>();
  for (const line of sha.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts.length !== 3) continue;
    const [hash, size, path] = parts as [string, string, string];
    if (!/^[0-9a-f]{64}$/i.test(hash) || !/^\d{1,15}$/.test(size)) throw invalid('malformed SHA256 line in the Release file');
    files.set(path, { sha256: hash.toLowerCase(), size: Number(size) });
  }
  const list = (name: string): string[] => (controlField(fields, name) ?? '').split(/\s+/).filter(Boolean);
  return { fields, files, components: list('Components'), architectures: list('Architectures') };
}

/** The Packages index candidates of a component/arch, best first, as listed in the Release. */
export function packagesCandidates(release: ReleaseIndex, component: string, arch: string): Array<{ path: string; entry: ReleaseEntry }> {
  const base = `${component}/binary-${arch}/Packages`;
  const out: Array<{ path: string; entry: ReleaseEntry }> = [];
  for (const suffix of ['.gz', '.xz', '']) {
    const entry = release.files.get(base + suffix);
    if (entry) out.push({ path: base + suffix, entry });
  }
  return out;
}

export interface StanzaLimits {
  /** Cap on the decompressed index. */
  maxBytes: number;
  maxStanzaBytes?: number;
}

/** Stanzas of a Packages stream, parsed one by one (a stanza above the cap is refused). */
export async function* readStanzas(stream: AsyncIterable<Buffer | Uint8Array>, { maxBytes, maxStanzaBytes = 1024 * 1024 }: StanzaLimits): AsyncGenerator<ControlFields> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let paragraph = '';
  let total = 0;
  const take = function* (final: boolean): Generator<ControlFields> {
    let at = 0;
    for (;;) {
      const nl = pending.indexOf('\n', at);
      if (nl < 0) break;
      const line = pending.slice(at, nl + 1);
      at = nl + 1;
      if (line.trim() === '') {
        if (paragraph.trim() !== '') yield parseParagraph(paragraph, 'Packages stanza');
        paragraph = '';
      } else {
        paragraph += line;
        if (paragraph.length > maxStanzaBytes) throw invalid('a Packages stanza is larger than its limit', { limit: maxStanzaBytes });
      }
    }
    pending = pending.slice(at);
    if (!final) return;
    if (pending !== '') paragraph += pending + '\n';
    pending = '';
    if (paragraph.trim() !== '') yield parseParagraph(paragraph, 'Packages stanza');
    paragraph = '';
  };
  try {
    for await (const chunk of stream) {
      total += chunk.length;
      if (total > maxBytes) throw upstreamError(UpstreamErrorCode.tooLarge, 'the Packages index inflates past its limit', { limit: maxBytes });
      pending += decoder.write(Buffer.from(chunk));
      yield* take(false);
    }
  } catch (err) {
    if (err instanceof Error && String((err as { code?: unknown }).code ?? '').startsWith('UPSTREAM_')) throw err;
    throw invalid('the Packages index is not valid compressed data', {}, err);
  }
  pending += decoder.end();
  yield* take(true);
}
