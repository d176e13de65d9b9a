/**
 * The USB-serial adapter of an emulated link, as a device that can come and go: the pty pair
 * whose outer end is the link's hostPath, and the relay's link to its inner end. Unplugged,
 * both close, as the kernel removes a USB tty: socat ends, the hostPath link disappears, and
 * whoever had it open finds it hung up (serialport reports that through the link's onGone).
 * Plugged, a new pair appears at the same hostPath, as a stable /dev/serial/by-path name
 * leads to whichever ttyUSB the adapter got this time.
 */
import { openPtyPair, type PtyPair } from './pty-pair.ts';
import type { OpenPair } from './pty-host.ts';
import { serialportBinding } from '../../board/hal/serial/serialport.ts';
import { HalError } from '../../platform/hal/errors.ts';
import type { SerialLink } from '../../platform/hal/serial.ts';

export interface LinkAdapter {
  readonly hostPath: string;
  present(): boolean;
  /** Into the host end; rejects with a HalError while the adapter is unplugged. */
  write(data: Buffer): Promise<void>;
  /** Both idempotent, and run one after the other in the order called. */
  unplug(): Promise<void>;
  plug(): Promise<void>;
  /** The pid holding its pair (socat, or the pty host) while plugged: for tests that check nothing outlives an unplug. */
  pid(): number | undefined;
  close(): Promise<void>;
}

/** `fromHost` gets every byte the desk computer writes to hostPath while the adapter is in. */
export async function openLinkAdapter(dir: string, name: string, baud: () => number, fromHost: (chunk: Buffer) => void, openPair: OpenPair = openPtyPair): Promise<LinkAdapter> {
  const serial = serialportBinding();
  let pair: PtyPair | undefined;
  let relay: SerialLink | undefined;
  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();
  const inTurn = (fn: () => Promise<void>): Promise<void> => {
    const next = queue.then(fn);
    queue = next.catch(() => undefined);
    return next;
  };

  const attach = async () => {
    const fresh = await openPair(dir, name);
    try {
      // The baud given to the inner pty is cosmetic: a pty ignores it, the wire does not.
      relay = await serial.open(fresh.boardPath, { baudRate: baud() });
    } catch (e) {
      await fresh.close();
      throw e;
    }
    relay.onData(fromHost);
    pair = fresh;
  };
  const detach = async () => {
    const [link, gone] = [relay, pair];
    relay = undefined;
    pair = undefined;
    // The relay lets go first, so the only end left for socat's exit to hang up is the desk's.
    await link?.close().catch(() => undefined);
    await gone?.close();
  };

  await attach();
  const hostPath = pair!.hostPath;
  return {
    hostPath,
    present: () => relay !== undefined,
    write(data) {
      if (!relay) return Promise.reject(new HalError('serial', 'write', hostPath, 'the USB adapter is unplugged'));
      return relay.write(data);
    },
    unplug: () => inTurn(async () => {
      if (!closed) await detach();
    }),
    plug: () => inTurn(async () => {
      if (closed) throw new HalError('serial', 'plug', hostPath, 'the link is closed');
      if (!relay) await attach();
    }),
    pid: () => pair?.pid,
    close: () => inTurn(async () => {
      closed = true;
      await detach();
    }),
  };
}
