/**
 * Receiving a pushed `.nupkg`. `nuget push` and `choco push` send `multipart/form-data` with ONE
 * file part; `curl -T` sends the raw file. Both end as one local file of known sha256 and size.
 *
 * Why not a general multipart parser: NuGet 2.8 on mono ends the part with `\n--boundary--`
 * (no CR), which RFC 2046 parsers such as busboy reject. Since the clients send one part, the
 * part is cut out of the spooled body directly: after the first boundary line and its headers,
 * up to the closing delimiter, accepting CRLF or LF line ends.
 *
 * Contract: the body is first spooled whole with the shared size-capped spooler (a Content-Length
 * lie or an endless body is cut at the cap); a body with a second part, without a file part or
 * without a closing delimiter is FEED_INVALID_REQUEST. Temp files go with `dispose()`.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { feedError, FeedErrorCode, spoolUpload } from '../artifact/index.js';

export interface ReceivedFile {
  path: string;
  /** `sha256:<hex>` */
  digest: string;
  sha256: string;
  size: number;
  dispose(): Promise<void>;
}

/** Room for the boundaries and part headers on top of the file cap. */
const MULTIPART_OVERHEAD = 64 * 1024;
const HEAD_WINDOW = 16 * 1024;

function invalid(reason: string): Error {
  return feedError(FeedErrorCode.invalidRequest, `malformed multipart push: ${reason}`, { reason });
}

/** The boundary of a `multipart/form-data` content type, or undefined for other types. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\s*;/i.test(contentType)) return undefined;
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary) throw invalid('no boundary');
  return boundary;
}

/** Hashes and copies bytes, failing if the delimiter `\n--boundary` appears inside the part. */
class PartCopier extends Transform {
  readonly hash = createHash('sha256');
  size = 0;
  private carry = Buffer.alloc(0);
  constructor(private readonly delimiter: Buffer) {
    super();
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    const window = Buffer.concat([this.carry, chunk]);
    if (window.indexOf(this.delimiter) >= 0) return cb(invalid('more than one part'));
    this.carry = window.subarray(Math.max(0, window.length - this.delimiter.length + 1));
    this.size += chunk.length;
    this.hash.update(chunk);
    cb(null, chunk);
  }
}

async function locatePart(bodyPath: string, size: number, boundary: string): Promise<{ start: number; end: number }> {
  const dash = Buffer.from(`--${boundary}`, 'latin1');
  const fh = await open(bodyPath, 'r');
  try {
    const head = Buffer.alloc(Math.min(size, HEAD_WINDOW));
    await fh.read(head, 0, head.length, 0);
    if (!head.subarray(0, dash.length).equals(dash)) throw invalid('body does not start with the boundary');
    const crlf = head.indexOf('\r\n\r\n', dash.length);
    const lf = head.indexOf('\n\n', dash.length);
    const cut = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf >= 0 ? lf + 2 : -1;
    if (cut < 0) throw invalid('part headers do not end');
    const headers = head.toString('latin1', dash.length, cut);
    if (!/content-disposition:[^\n]*filename=/i.test(headers)) throw invalid('no file part');
    const tailLen = Math.min(size - cut, dash.length + 64);
    const tail = Buffer.alloc(tailLen);
    await fh.read(tail, 0, tailLen, size - tailLen);
    const close = tail.lastIndexOf(Buffer.concat([dash, Buffer.from('--')]));
    if (close < 0) throw invalid('no closing boundary');
    let end = size - tailLen + close;
    if (end >= cut + 1 && tail[close - 1] === 0x0a) end -= tail[close - 2] === 0x0d && close >= 2 ? 2 : 1;
    if (end <= cut) throw invalid('empty part');
    return { start: cut, end };
  } finally {
    await fh.close();
  }
}

/** Receives the pushed package of `req` (multipart or raw), capped at `maxBytes`. */
export async function receivePackage(req: IncomingMessage, { tmpDir, maxBytes }: { tmpDir: string; maxBytes: number }): Promise<ReceivedFile> {
  const boundary = multipartBoundary(req.headers['content-type']);
  const body = await spoolUpload(req, { tmpDir, maxBytes: boundary ? maxBytes + MULTIPART_OVERHEAD : maxBytes });
  if (!boundary) return { path: body.path, digest: body.digest, sha256: body.sha256, size: body.size, dispose: body.dispose };
  const partPath = `${body.path}.part`;
  const dispose = async (): Promise<void> => {
    await rm(partPath, { force: true });
    await body.dispose();
  };
  try {
    const { start, end } = await locatePart(body.path, body.size, boundary);
    if (end - start > maxBytes) throw feedError(FeedErrorCode.tooLarge, 'upload larger than the limit', { limit: maxBytes });
    const copier = new PartCopier(Buffer.from(`\n--${boundary}`, 'latin1'));
    await pipeline(createReadStream(body.path, { start, end: end - 1 }), copier, createWriteStream(partPath, { flags: 'wx' }));
    await rm(body.path, { force: true });
    const sha256 = copier.hash.digest('hex');
    return { path: partPath, digest: `sha256:${sha256}`, sha256, size: copier.size, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}
