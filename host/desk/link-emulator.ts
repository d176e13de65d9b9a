/**
 * A USB-serial adapter plus cable between the desk computer and a board's UART, on real ptys.
 * A pty moves megabytes a second whatever baud is set, so two socat pairs are joined here by a
 * relay that imposes the line rate (8N1: 10 bits a byte), the adapter's latency, noise and a
 * cable that can be pulled. Pacing and noise live in link-wire.ts; the adapter, which can be
 * pulled out and put back as a device, in link-adapter.ts.
 */
import { openPtyPair, type PtyPair } from './pty-pair.ts';
import type { OpenPair } from './pty-host.ts';
import { LinkWire, type WireStats } from './link-wire.ts';
import { openLinkAdapter, type LinkAdapter } from './link-adapter.ts';
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
  /**
   * The USB adapter pulled out: hostPath disappears and whoever has it open sees the device go
   * (its link's onGone). The board keeps talking: its bytes still reach onBoardOutput, the
   * desk's tap at the board's UART, and count as overrun on the way to the missing host end.
   */
  unplugAdapter(): Promise<void>;
  /** A new adapter device at the same hostPath. */
  plugAdapter(): Promise<void>;
  adapterPresent(): boolean;
  /** Pids of the processes holding the pty pairs now open (socat, or the pty host): for tests that check what an unplug leaves. */
  pids(): number[];
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

/** `deps.openPair`: where its pty pairs come from (a desk's pty host); a socat each by default. */
export async function openLinkEmulator(dir: string, name: string, settings: LinkSettings, deps: { random?: () => number; openPair?: OpenPair } = {}): Promise<LinkEmulator> {
  let current = checked(name, { ...settings });
  // The board's pair and the relay's link to its inner end live as long as the emulator; the
  // adapter (the host's pair) can come and go.
  let boardSide: PtyPair | undefined;
  let fromBoard: SerialLink | undefined;
  let adapter: LinkAdapter | undefined;
  const release = async () => {
    await Promise.all([fromBoard?.close().catch(() => undefined), adapter?.close()]);
    await boardSide?.close();
  };
  let toBoard: LinkWire;
  let toHost: LinkWire;
  const boardOutput = new DataFanout(BOARD_OUTPUT_HOLD);
  try {
    const random = deps.random ?? Math.random;
    const openPair = deps.openPair ?? openPtyPair;
    boardSide = await openPair(dir, `${name}.boardside`);
    const board = await serialportBinding().open(boardSide.hostPath, { baudRate: current.baud });
    fromBoard = board;
    // Each wire exists before bytes can reach it: the adapter forwards from its first moment.
    toBoard = new LinkWire(() => current, random, board, () => undefined);
    adapter = await openLinkAdapter(dir, `${name}.hostside`, () => current.baud, (chunk) => toBoard.enter(chunk), openPair);
    const host = adapter;
    toHost = new LinkWire(() => current, random, host, (chunk) => boardOutput.push(chunk));
    board.onData((chunk) => toHost.enter(chunk));
    const emulator: LinkEmulator = {
      hostPath: host.hostPath,
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
      unplugAdapter: () => host.unplug(),
      plugAdapter: () => host.plug(),
      adapterPresent: () => host.present(),
      pids: () => [host.pid(), boardSide!.pid].filter((p): p is number => p !== undefined),
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
