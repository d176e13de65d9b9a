/**
 * The YMODEM tests' in-memory setting: a line that damages bytes (given a random source), a sink
 * that keeps what it gets, and a driver for the manual clock.
 */
import type { SerialLink } from '../../platform/hal/serial.ts';
import { DataFanout } from '../../board/hal/serial/fanout.ts';
import type { ManualClock } from '../../platform/clock.ts';
import type { YmodemSink } from '../../images/serial/ymodem-receive.ts';

export interface LineFaults { dropChunk: number; dropByte: number; flipByte: number; noise: number }

/**
 * Two linked in-memory ends; each write may lose a chunk or a byte, have a byte changed, or get
 * a stray byte in front, with the given probabilities. `written` records what each end sent.
 */
export function memoryLine(random: () => number, faults: LineFaults = { dropChunk: 0, dropByte: 0, flipByte: 0, noise: 0 }) {
  const fanouts = [new DataFanout(), new DataFanout()] as const;
  const written: [Buffer[], Buffer[]] = [[], []];
  let damaged = 0;
  const mangle = (bytes: Buffer): Buffer => {
    const at = Math.floor(random() * bytes.length);
    if (random() < faults.dropChunk) return (damaged++, Buffer.alloc(0));
    if (random() < faults.dropByte) return (damaged++, Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]));
    if (random() < faults.flipByte) {
      damaged++;
      const out = Buffer.from(bytes);
      out[at] = out[at]! ^ (1 + Math.floor(random() * 255));
      return out;
    }
    if (random() < faults.noise) return (damaged++, Buffer.concat([Buffer.of(Math.floor(random() * 256)), bytes]));
    return bytes;
  };
  const end = (me: 0 | 1): SerialLink => ({
    path: `mem${me}`,
    async write(data) {
      const bytes = Buffer.from(data);
      written[me].push(bytes);
      const out = mangle(bytes);
      if (out.length) setImmediate(() => fanouts[1 - me]!.push(out));
    },
    onData: (cb) => fanouts[me].subscribe(cb),
    async close() { fanouts[me].clear(); },
  });
  return { a: end(0), b: end(1), written, damaged: () => damaged };
}

/** Runs the manual clock forward in `stepMs` steps until `p` settles, letting I/O run between. */
export async function driveClock<T>(clock: ManualClock, p: Promise<T>, stepMs: number, maxSteps: number): Promise<T> {
  let settled = false;
  p.then(() => { settled = true; }, () => { settled = true; });
  for (let i = 0; i < maxSteps && !settled; i++) {
    await new Promise((r) => setImmediate(r));
    if (!settled) clock.advance(stepMs);
  }
  await new Promise((r) => setImmediate(r));
  if (!settled) throw new Error(`still running after ${maxSteps} steps of ${stepMs} ms`);
  return p;
}

/** A sink that keeps what it is given. */
export function collect(): YmodemSink & { data(): Buffer; opened: [string, number][] } {
  const chunks: Buffer[] = [];
  const opened: [string, number][] = [];
  return { opened, open: async (name, size) => { opened.push([name, size]); }, write: async (c) => { chunks.push(c); }, data: () => Buffer.concat(chunks) };
}
