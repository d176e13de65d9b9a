/**
 * A USB-serial adapter plus cable between the desk computer and a board's UART, on real ptys.
 * A pty moves megabytes a second whatever baud is set, so two socat pairs are joined here by a
 * relay that imposes the line rate (8N1: 10 bits a byte), the adapter's latency, noise and a
 * cable that can be pulled. Pacing and noise live in link-wire.ts.
 */
import { openPtyPair, type PtyPair } from './pty-pair.ts';
import { LinkWire, type WireStats } from './link-wire.ts';
import { serialportBinding } from '../../board/hal/serial/serialport.ts';
import { DataFanout } from '../../board/hal/serial/fanout.ts';
import type { SerialLink } from '../../platform/hal/serial.ts';

export interface LinkSettings {
  baud: number;
  /** one-way latency (USB adapter turnaround), ms */
  latencyMs: number;
  /** probability per byte of one flipped bit */
  bitErrorRate: number;
  /** probability per byte of it being dropped */
  dropRate: number;
}

export interface LinkEmulator {
  /** What the desk computer opens (like /dev/ttyUSB3): flash tools, `deskbox console`, lrzsz. */
  readonly hostPath: string;
  /** What the board's UART is. */
  readonly boardPath: string;
  settings(): LinkSettings;
  set(changes: Partial<LinkSettings>): void;
  /** Cable pulled: bytes in flight and sent while unplugged are lost until plug(). */
  unplug(): void;
  plug(): void;
  /** Every byte the board sent (as delivered to the host side), for the console log: early boot output is never lost even when nobody has the host end open. */
  onBoardOutput(cb: (chunk: Buffer) => void): () => void;
  stats(): { toBoard: WireStats; toHost: WireStats };
  close(): Promise<void>;
}

export type { WireStats };

export class LinkEmulatorError extends Error {
  constructor(readonly link: string, detail: string, options?: ErrorOptions) {
    super(`serial link ${link}: ${detail}`, options);
    this.name = 'LinkEmulatorError';
  }
}

/** Board output held for a console log that subscribes late; beyond this the oldest goes. */
const BOARD_OUTPUT_HOLD = 256 * 1024;

export async function openLinkEmulator(dir: string, name: string, settings: LinkSettings, deps: { random?: () => number } = {}): Promise<LinkEmulator> {
  let current = checked(name, { ...settings });
  // Outer ends are the public paths; inner ends are held by this relay for as long as it lives.
  const pairs: PtyPair[] = [];
  const links: SerialLink[] = [];
  const release = async () => {
    await Promise.all(links.map((l) => l.close().catch(() => undefined)));
    await Promise.all(pairs.map((p) => p.close()));
  };
  let toBoard: LinkWire;
  let toHost: LinkWire;
  const boardOutput = new DataFanout(BOARD_OUTPUT_HOLD);
  try {
    const hostSide = await openPtyPair(dir, `${name}.hostside`);
    pairs.push(hostSide);
    const boardSide = await openPtyPair(dir, `${name}.boardside`);
    pairs.push(boardSide);
    // The baud given to the inner ptys is cosmetic: a pty ignores it, the wire below does not.
    const serial = serialportBinding();
    const fromHost = await serial.open(hostSide.boardPath, { baudRate: current.baud });
    links.push(fromHost);
    const fromBoard = await serial.open(boardSide.hostPath, { baudRate: current.baud });
    links.push(fromBoard);
    const random = deps.random ?? Math.random;
    toBoard = new LinkWire(() => current, random, fromBoard, () => undefined);
    toHost = new LinkWire(() => current, random, fromHost, (chunk) => boardOutput.push(chunk));
    fromHost.onData((chunk) => toBoard.enter(chunk));
    fromBoard.onData((chunk) => toHost.enter(chunk));
    const emulator: LinkEmulator = {
      hostPath: hostSide.hostPath,
      boardPath: boardSide.boardPath,
      settings: () => ({ ...current }),
      set(changes) {
        current = checked(name, { ...current, ...changes });
      },
      unplug() {
        toBoard.unplug();
        toHost.unplug();
      },
      plug() {
        toBoard.plug();
        toHost.plug();
      },
      onBoardOutput: (cb) => boardOutput.subscribe(cb),
      stats: () => ({ toBoard: toBoard.stats(), toHost: toHost.stats() }),
      close: once(async () => {
        toBoard.stop();
        toHost.stop();
        boardOutput.clear();
        await release();
      }),
    };
    return emulator;
  } catch (e) {
    await release();
    throw new LinkEmulatorError(name, `cannot open: ${(e as Error).message}`, { cause: e });
  }
}

function checked(name: string, s: LinkSettings): LinkSettings {
  if (!Number.isInteger(s.baud) || s.baud <= 0) throw new LinkEmulatorError(name, `baud must be a positive integer, not ${s.baud}`);
  if (!Number.isFinite(s.latencyMs) || s.latencyMs < 0) throw new LinkEmulatorError(name, `latencyMs must be >= 0, not ${s.latencyMs}`);
  for (const k of ['bitErrorRate', 'dropRate'] as const) {
    if (!(s[k] >= 0 && s[k] <= 1)) throw new LinkEmulatorError(name, `${k} must be within [0, 1], not ${s[k]}`);
  }
  return s;
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= fn());
}
