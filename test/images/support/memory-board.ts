/**
 * A board's storage in memory, as a FlashTarget: blocks staged per image (so a later session
 * for the same image resumes), blocks it "holds" elsewhere by content (copied, not sent), a
 * commit that checks the whole payload, and a log of every call the receiver made.
 */
import { createHash } from 'node:crypto';
import { decodeHeader, HEADER_SIZE } from '../../../images/format/header.ts';
import { BLOCK_SIZE, parseManifest, type Manifest } from '../../../images/format/manifest.ts';
import type { FlashTarget, HelloInfo } from '../../../images/serial/target.ts';

export interface MemoryBoard {
  openTarget(hello: HelloInfo): Promise<FlashTarget>;
  /** Per payload sha256: block index -> bytes. */
  readonly staged: Map<string, Map<number, Buffer>>;
  /** Every call, in order: "open", "prepare", "write 3", "commit", "abandon". */
  readonly calls: string[];
  /** Block indexes written, over all sessions. */
  readonly written: number[];
  committed: { payload: Buffer; slot: string; version: string } | undefined;
  /** prepare() throws this message when set. */
  refuse: string | undefined;
  /** Content the board already has elsewhere (its current image): blocks with these hashes are copied. */
  holds: Set<string>;
}

export function memoryBoard(): MemoryBoard {
  const board: MemoryBoard = {
    staged: new Map(),
    calls: [],
    written: [],
    committed: undefined,
    refuse: undefined,
    holds: new Set(),
    async openTarget(hello) {
      board.calls.push('open');
      const staged = board.staged.get(hello.payloadSha256) ?? new Map<number, Buffer>();
      board.staged.set(hello.payloadSha256, staged);
      let manifest: Manifest | undefined;
      return {
        async prepare(head) {
          board.calls.push('prepare');
          if (board.refuse) throw new Error(board.refuse);
          const header = decodeHeader(head, 'head');
          manifest = parseManifest(head.subarray(HEADER_SIZE, HEADER_SIZE + header.manifestLength), header, 'head');
          const need: number[] = [];
          manifest.blocks.hashes.forEach((h, i) => {
            if (h === null || staged.has(i)) return;
            if (board.holds.has(h)) staged.set(i, Buffer.from('held elsewhere'));
            else need.push(i);
          });
          return { need };
        },
        async writeBlock(index, data) {
          board.calls.push(`write ${index}`);
          board.written.push(index);
          staged.set(index, Buffer.from(data));
        },
        async commit() {
          board.calls.push('commit');
          const m = manifest!;
          const payload = Buffer.alloc(m.payload.size);
          m.blocks.hashes.forEach((h, i) => { if (h !== null && staged.get(i)?.length === Math.min(BLOCK_SIZE, m.payload.size - i * BLOCK_SIZE)) staged.get(i)!.copy(payload, i * BLOCK_SIZE); });
          const sha = createHash('sha256').update(payload).digest('hex');
          // "Held" blocks are placeholders here, so only a fully sent payload can be checked.
          if (board.holds.size === 0 && sha !== m.payload.sha256) throw new Error(`payload sha256 ${sha} differs from the manifest`);
          board.committed = { payload, slot: 'b', version: m.version };
          return { slot: 'b', version: m.version };
        },
        async abandon() {
          board.calls.push('abandon');
        },
      };
    },
  };
  return board;
}
