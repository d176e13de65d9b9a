/**
 * Where the host's new segments come from, phase by phase: the head cut into HEAD chunks,
 * then the needed blocks as DATA chunks and DONE after the last. Chunks are cut as they go,
 * at the size the line suits right then (LinkModel.chunkSize), and only when the window has
 * room for them.
 */
import type { BlockFeeder } from './block-feeder.ts';
import { encodeFrame } from './frame.ts';
import type { LinkModel } from './link-model.ts';
import { encodeMessage, windowCost, type Message } from './messages.ts';
import type { SendWindow } from './send-window.ts';

/** The next new frame of a phase, admitted to the window; undefined when none may go now. */
export type SegmentSource = (window: SendWindow) => Buffer | undefined;

export interface SourceDeps {
  session: number;
  model: LinkModel;
  /** The board acknowledged one of these segments. */
  progressed(): void;
}

const frame = (m: Message) => encodeFrame(encodeMessage(m));

export function headSource(d: SourceDeps, head: Buffer, onAllAcked: () => void): SegmentSource {
  let offset = 0;
  let unacked = 0;
  return (window) => {
    const bytes = head.subarray(offset, offset + d.model.chunkSize());
    if (bytes.length === 0 || !window.canAdmit(bytes.length)) return undefined;
    const at = offset;
    offset += bytes.length;
    unacked++;
    return window.send(bytes.length, bytes.length, (seq, attempt) => frame({ kind: 'head', session: d.session, seq, attempt, offset: at, bytes }), () => {
      d.progressed();
      if (--unacked === 0 && offset === head.length) onAllAcked();
    });
  };
}

/** DATA chunks of the feeder's blocks, then DONE; `onDoneAcked` once the board has DONE. */
export function blockSource(d: SourceDeps, feeder: BlockFeeder, onBlockDone: (index: number) => void, onDoneAcked: () => void): SegmentSource {
  /** Per block being sent: chunks not yet acknowledged, and whether its last chunk is cut. */
  const inFlight = new Map<number, { unacked: number; cut: boolean }>();
  let doneSent = false;
  return (window) => {
    const next = feeder.peek(d.model.chunkSize());
    if (next) {
      const cost = windowCost(next.length, next.blockLength, next.encodedLength);
      if (!window.canAdmit(next.length, cost)) return undefined;
      const { block, offset, encodedLength, compressed, bytes, last } = feeder.take(next.length)!;
      const state = inFlight.get(block) ?? { unacked: 0, cut: false };
      inFlight.set(block, state);
      state.unacked++;
      state.cut = last;
      return window.send(bytes.length, cost, (seq, attempt) => frame({ kind: 'data', session: d.session, seq, attempt, block, offset, encodedLength, compressed, bytes }), () => {
        d.progressed();
        if (--state.unacked > 0 || !state.cut) return;
        inFlight.delete(block);
        onBlockDone(block);
      });
    }
    if (doneSent || !feeder.exhausted || !window.canAdmit(0)) return undefined;
    doneSent = true;
    return window.send(0, 0, (seq, attempt) => frame({ kind: 'done', session: d.session, seq, attempt }), () => {
      d.progressed();
      onDoneAcked();
    });
  };
}
