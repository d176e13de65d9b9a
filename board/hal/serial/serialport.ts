import { HalError } from '../../../platform/hal/errors.ts';
import { validBaudRate, type SerialBinding, type SerialLink } from '../../../platform/hal/serial.ts';
import { DataFanout } from './fanout.ts';
import { keepPollInterest } from './poller-fix.ts';
import { readsSeeHangup } from './hangup-fix.ts';
import type { SerialPortStream } from '@serialport/stream';

/**
 * Real serial ports through node-serialport's stream and native bindings, imported on first open, so
 * code that only ever uses the simulated binding never loads it.
 */
export function serialportBinding(): SerialBinding {
  return {
    description: 'serialport (native)',
    async open(path, opts) {
      if (!validBaudRate(opts?.baudRate)) throw new HalError('serial', 'open', path, `invalid baud rate ${String(opts?.baudRate)}`);
      // The stream and native bindings alone, not the `serialport` package that re-exports
      // them with a dozen parsers: ~80 ms and ~2.5 MB less on every board.
      let port: SerialPortStream;
      try {
        const [{ SerialPortStream: Stream }, { autoDetect }] = await Promise.all([import('@serialport/stream'), import('@serialport/bindings-cpp')]);
        port = new Stream({ binding: autoDetect(), path, baudRate: opts.baudRate, autoOpen: false });
      } catch (e) {
        throw new HalError('serial', 'load', '@serialport/bindings-cpp', e);
      }
      try {
        await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
      } catch (e) {
        throw new HalError('serial', 'open', path, e);
      }
      keepPollInterest(port.port);
      await readsSeeHangup(port.port);

      const fanout = new DataFanout();
      // Errors also arrive as events (e.g. the device vanishing); without a listener they would
      // crash the process. Keep the latest so the next write can report it.
      let lastError: Error | undefined;
      let closed = false;
      const goneWatchers = new Set<(reason: Error) => void>();
      let goneReason: HalError | undefined;
      port.on('error', (e: Error) => { lastError = e; });
      port.on('data', (chunk: Buffer) => fanout.push(chunk));
      // A disconnect (device unplugged, pty peer gone) closes the port with the reason.
      port.on('close', (err?: Error) => {
        const ours = closed;
        closed = true;
        if (err) lastError ??= err;
        if (ours) return;
        goneReason = new HalError('serial', 'read', path, lastError ?? 'the port closed');
        for (const cb of [...goneWatchers]) cb(goneReason);
        goneWatchers.clear();
      });

      const link: SerialLink = {
        path,
        async write(data) {
          // `destroyed` comes before the 'close' event when the device disconnects.
          if (closed || port.destroyed) {
            throw new HalError('serial', 'write', path, lastError ? `port is closed (${lastError.message})` : 'port is closed');
          }
          try {
            await new Promise<void>((resolve, reject) => {
              // drain() on a port that closed meanwhile waits for an 'open' that never comes:
              // the close settles the write instead.
              const onClose = () => reject(lastError ?? new Error('port closed during the write'));
              port.once('close', onClose);
              const settle = (e?: Error | null) => {
                port.off('close', onClose);
                if (e) reject(e);
                else resolve();
              };
              // The write callback means the binding took the bytes; drain() then waits for
              // tcdrain(). drain() alone would not wait for writes still queued in the stream.
              port.write(data, (err) => {
                if (err) settle(err);
                else if (!port.isOpen) settle(lastError ?? new Error('port closed during the write'));
                else port.drain((e) => settle(e));
              });
            });
          } catch (e) {
            throw new HalError('serial', 'write', path, e);
          }
        },
        onData: (cb) => fanout.subscribe(cb),
        onGone(cb) {
          // Gone before anyone asked: told on a microtask, so the caller has its unsubscribe first.
          if (goneReason) {
            const reason = goneReason;
            queueMicrotask(() => cb(reason));
            return () => undefined;
          }
          goneWatchers.add(cb);
          return () => { goneWatchers.delete(cb); };
        },
        async close() {
          const wasOpen = !closed && port.isOpen;
          closed = true;
          fanout.clear();
          goneWatchers.clear();
          if (!wasOpen) return;
          try {
            await new Promise<void>((resolve, reject) => port.close((err) => (err ? reject(err) : resolve())));
          } catch (e) {
            throw new HalError('serial', 'close', path, e);
          }
        },
      };
      return link;
    },
  };
}
