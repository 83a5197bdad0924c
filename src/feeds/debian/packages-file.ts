/**
 * A `Packages` index kept as blocks of stanzas, each block with its own cached plain text and
 * gzip member. Adding a package touches one block; rendering concatenates cached blocks, and
 * `Packages.gz` is the concatenation of the blocks' gzip members (RFC 1952 section 2.2: a gzip
 * file is a series of members; zlib's gzread, which APT uses, reads them all). So the cost of
 * serving after a change does not grow with the number of packages beyond a memory copy.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

const BLOCK_SIZE = 64;
const EMPTY_GZ = gzipSync(Buffer.alloc(0));

interface Block {
  stanzas: Map<string, string>;
  plain?: Buffer;
  gz?: Buffer;
}

export interface IndexDigests {
  size: { plain: number; gz: number };
  sha256: { plain: string; gz: string };
  md5: { plain: string; gz: string };
}

export class PackagesFile {
  private readonly blocks: Block[] = [];
  private readonly blockOf = new Map<string, Block>();
  private plainCache: Buffer | undefined;
  private gzCache: Buffer | undefined;
  private digestCache: IndexDigests | undefined;

  get count(): number {
    return this.blockOf.size;
  }

  /** Adds or replaces the stanza for `key`. */
  set(key: string, stanza: string): void {
    const existing = this.blockOf.get(key);
    let block = existing;
    if (!block) {
      block = this.blocks[this.blocks.length - 1];
      if (!block || block.stanzas.size >= BLOCK_SIZE) {
        block = { stanzas: new Map() };
        this.blocks.push(block);
      }
      this.blockOf.set(key, block);
    }
    block.stanzas.set(key, stanza);
    this.invalidate(block);
  }

  delete(key: string): void {
    const block = this.blockOf.get(key);
    if (!block) return;
    block.stanzas.delete(key);
    this.blockOf.delete(key);
    if (block.stanzas.size === 0) this.blocks.splice(this.blocks.indexOf(block), 1);
    this.invalidate(block);
  }

  private invalidate(block: Block): void {
    block.plain = undefined;
    block.gz = undefined;
    this.plainCache = undefined;
    this.gzCache = undefined;
    this.digestCache = undefined;
  }

  private block(block: Block): Block & { plain: Buffer; gz: Buffer } {
    if (!block.plain || !block.gz) {
      block.plain = Buffer.from([...block.stanzas.values()].join(''), 'utf8');
      block.gz = gzipSync(block.plain, { level: 6 });
    }
    return block as Block & { plain: Buffer; gz: Buffer };
  }

  /** `Packages` (cached until the next change; only changed blocks are re-rendered). */
  plain(): Buffer {
    this.plainCache ??= Buffer.concat(this.blocks.map((b) => this.block(b).plain));
    return this.plainCache;
  }

  /** `Packages.gz`: the blocks' gzip members, concatenated (cached until the next change). */
  gz(): Buffer {
    this.gzCache ??= this.blocks.length === 0 ? EMPTY_GZ : Buffer.concat(this.blocks.map((b) => this.block(b).gz));
    return this.gzCache;
  }

  /** Sizes and hashes of both files, for the Release file (computed only when a Release is). */
  digests(): IndexDigests {
    if (!this.digestCache) {
      const plain = this.plain();
      const gz = this.gz();
      const hash = (algorithm: string, data: Buffer): string => createHash(algorithm).update(data).digest('hex');
      this.digestCache = {
        size: { plain: plain.length, gz: gz.length },
        sha256: { plain: hash('sha256', plain), gz: hash('sha256', gz) },
        md5: { plain: hash('md5', plain), gz: hash('md5', gz) },
      };
    }
    return this.digestCache;
  }
}
