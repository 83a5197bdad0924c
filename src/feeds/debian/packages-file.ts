/**
 * A `Packages` index kept as blocks of stanzas, each block with its own cached plain text and
 * gzip member. Adding a package touches one block; rendering concatenates cached blocks, and
 * `Packages.gz` is the concatenation of the blocks' gzip members (RFC 1952 section 2.2: a gzip
 * file is a series of members; zlib's gzread, which APT uses, reads them all). So the cost of
 * serving after a change does not grow with the number of packages beyond a memory copy.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

const BLOCK_SIZE = 256;

interface Block {
  stanzas: Map<string, string>;
  plain?: Buffer;
  gz?: Buffer;
}

export interface RenderedIndex {
  plain: Buffer;
  gz: Buffer;
  sha256: { plain: string; gz: string };
  md5: { plain: string; gz: string };
}

export class PackagesFile {
  private readonly blocks: Block[] = [];
  private readonly blockOf = new Map<string, Block>();
  private rendered: RenderedIndex | undefined;

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
    this.rendered = undefined;
  }

  /** The index as plain text and gzip, with hashes (cached until the next change). */
  render(): RenderedIndex {
    if (this.rendered) return this.rendered;
    for (const block of this.blocks) {
      if (!block.plain) {
        block.plain = Buffer.from([...block.stanzas.values()].join(''), 'utf8');
        block.gz = gzipSync(block.plain, { level: 9 });
      }
    }
    const plain = Buffer.concat(this.blocks.map((b) => b.plain as Buffer));
    const gz = this.blocks.length === 0 ? gzipSync(Buffer.alloc(0)) : Buffer.concat(this.blocks.map((b) => b.gz as Buffer));
    const hash = (algorithm: string, data: Buffer): string => createHash(algorithm).update(data).digest('hex');
    this.rendered = {
      plain,
      gz,
      sha256: { plain: hash('sha256', plain), gz: hash('sha256', gz) },
      md5: { plain: hash('md5', plain), gz: hash('md5', gz) },
    };
    return this.rendered;
  }
}
