/**
 * The board's first task in a session: collect the head (header + manifest + signature) and
 * check it is the image HELLO announced, before the target sees it. Then the PLAN: the
 * target's list of needed blocks as a bitmap, empty blocks left out whatever it said.
 */
import { decodeHeader, HEADER_SIZE } from '../format/header.ts';
import { parseManifest, type Manifest } from '../format/manifest.ts';
import { MAX_FRAME_BODY } from './frame.ts';
import { setBit, type MessageOf } from './messages.ts';
import type { HelloInfo } from './target.ts';

export class HeadIntake {
  readonly bytes: Buffer;
  private readonly offsets = new Set<number>();
  private received = 0;

  constructor(private readonly hello: HelloInfo, private readonly maxChunk: number) {
    this.bytes = Buffer.alloc(hello.headLength);
  }

  get complete(): boolean {
    return this.received >= this.bytes.length;
  }

  /** Takes a HEAD chunk; a message when it cannot belong to this head. */
  add(m: MessageOf<'head'>): string | undefined {
    const end = m.offset + m.bytes.length;
    if (m.bytes.length === 0 || m.bytes.length > this.maxChunk || end > this.bytes.length) {
      return `HEAD chunk ${m.offset}..${end} does not fit the ${this.bytes.length}-byte head`;
    }
    if (this.offsets.has(m.offset)) return undefined;
    m.bytes.copy(this.bytes, m.offset);
    this.offsets.add(m.offset);
    this.received += m.bytes.length;
    return undefined;
  }

  /** The manifest, once the head is known to be the announced image's and a PLAN for it fits one frame. */
  check(): Manifest {
    const { hello } = this;
    const header = decodeHeader(this.bytes, 'head');
    const headLength = HEADER_SIZE + header.manifestLength + header.signatureLength;
    if (headLength !== hello.headLength || header.payloadLength !== hello.payloadSize) {
      throw new Error(`the head describes a ${headLength}-byte head and ${header.payloadLength}-byte payload; HELLO announced ${hello.headLength} and ${hello.payloadSize}`);
    }
    const manifest = parseManifest(this.bytes.subarray(HEADER_SIZE, HEADER_SIZE + header.manifestLength), header, 'head');
    if (manifest.payload.sha256 !== hello.payloadSha256) throw new Error('the head belongs to another image than HELLO announced');
    if (Math.ceil(manifest.blocks.hashes.length / 8) + 16 > MAX_FRAME_BODY) throw new Error(`${manifest.blocks.hashes.length} blocks are more than protocol v1 can plan in one frame`);
    return manifest;
  }
}

/** The blocks to ask for (needed by the target and not empty) and the PLAN that asks. */
export function planFor(manifest: Manifest, need: readonly number[], session: number, window: number): { wanted: Set<number>; plan: MessageOf<'plan'> } {
  const hashes = manifest.blocks.hashes;
  const wanted = new Set(need.filter((i) => Number.isInteger(i) && hashes[i] != null));
  const bitmap = Buffer.alloc(Math.ceil(hashes.length / 8));
  for (const i of wanted) setBit(bitmap, i);
  return { wanted, plan: { kind: 'plan', session, window, blockCount: hashes.length, need: bitmap } };
}
