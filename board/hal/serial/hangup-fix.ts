/**
 * Works around @serialport/bindings-cpp (13.0.x, unix) never noticing that its device went
 * away while it only reads. A tty whose device vanished (a USB adapter unplugged, a pty whose
 * master closed) is hung up: read() returns 0 bytes, forever, and never EAGAIN. unixRead()
 * takes 0 bytes as "read again" and spins on the thread pool (~12,000 reads a second, seen on
 * a pty) with no 'error' and no 'close'; only the next write fails (EIO) and closes the port.
 * A console that only listens would spin silently for as long as it stays open.
 *
 * The fix: this one port's reads go through unixRead() with a read that calls 0 bytes what it
 * is on a tty opened with VMIN=1 (as the binding opens every port): end of file, the device
 * hung up. Flagged `disconnect`, the stream closes the port with that reason, as it does for
 * ENXIO. Ports whose binding has no fd and poller (Windows) are left alone.
 */
import { read } from 'node:fs';
import { promisify } from 'node:util';

const readAsync = promisify(read);

interface UnixBindingPort {
  fd: number | null;
  poller: unknown;
  read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }>;
}

export async function readsSeeHangup(bindingPort: unknown): Promise<boolean> {
  const port = bindingPort as Partial<UnixBindingPort> | undefined;
  if (!port || typeof port.fd !== 'number' || !port.poller || typeof port.read !== 'function') return false;
  const { unixRead } = await import('@serialport/bindings-cpp/dist/unix-read.js');
  const hangupRead = (async (...args: Parameters<typeof readAsync>) => {
    const done = await readAsync(...args);
    if (done.bytesRead === 0) {
      throw Object.assign(new Error('EIO: the device hung up (read returned end of file)'), { code: 'EIO', disconnect: true });
    }
    return done;
  }) as typeof readAsync;
  const original = port.read.bind(port);
  // unixRead() checks that the port is open; asked for 0 bytes, 0 bytes is no sign of anything.
  port.read = (buffer, offset, length) =>
    length === 0 ? original(buffer, offset, length) : unixRead({ binding: port as never, buffer, offset, length, fsReadAsync: hangupRead });
  return true;
}
