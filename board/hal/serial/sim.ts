import { HalError } from '../../../platform/hal/errors.ts';
import { validBaudRate, type SerialBinding, type SerialLink } from '../../../platform/hal/serial.ts';
import { DataFanout } from './fanout.ts';

interface End {
  peer: string;
  link?: { fanout: DataFanout };
}

/**
 * Serial ports in memory: `createPair(a, b)` is a null-modem cable between two paths. Plain
 * in-memory rather than serialport's MockBinding, whose port registry is module-global (one per
 * process, shared by every simulated board) and which echoes instead of wiring two ends.
 */
export function simSerialBinding(): SerialBinding & { createPair(a: string, b: string): void } {
  const ends = new Map<string, End>();

  return {
    description: 'simulated serial (in-memory pairs)',
    createPair(a, b) {
      if (a === b) throw new HalError('serial', 'createPair', a, 'both ends have the same path');
      for (const p of [a, b]) if (ends.has(p)) throw new HalError('serial', 'createPair', p, 'path already exists');
      ends.set(a, { peer: b });
      ends.set(b, { peer: a });
    },
    async open(path, opts) {
      const end = ends.get(path);
      if (!end) throw new HalError('serial', 'open', path, 'no such port (not created with createPair)');
      if (!validBaudRate(opts?.baudRate)) throw new HalError('serial', 'open', path, `invalid baud rate ${String(opts?.baudRate)}`);
      if (end.link) throw new HalError('serial', 'open', path, 'port is busy (already open)');
      const state = { fanout: new DataFanout() };
      end.link = state;
      let closed = false;

      const link: SerialLink = {
        path,
        async write(data) {
          if (closed) throw new HalError('serial', 'write', path, 'port is closed');
          // Copied now: the caller may reuse its buffer as soon as the promise resolves.
          const bytes = Buffer.from(typeof data === 'string' ? Buffer.from(data) : data);
          const peer = ends.get(end.peer)?.link;
          // Delivered on a later turn, as a real port would; with the far end closed the
          // bytes fall on the floor, as on an unplugged cable.
          if (peer && bytes.length) {
            setImmediate(() => {
              if (ends.get(end.peer)?.link === peer) peer.fanout.push(bytes);
            });
          }
        },
        onData: (cb) => state.fanout.subscribe(cb),
        async close() {
          if (closed) return;
          closed = true;
          state.fanout.clear();
          if (end.link === state) delete end.link;
        },
      };
      return link;
    },
  };
}
