/**
 * A bench of N boards for the agent protocol, in three processes: this one is the desk
 * computer (sendImage on the real serialport binding, one port per board), serial-wire.ts
 * holds the cables (link emulators) and serial-agent.ts the boards (receiver + slot target).
 * A real board is a separate machine and a real cable is hardware: sharing one event loop
 * would make each side's timers wait on the others' work and hide where the CPU goes.
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { serialportBinding } from '../board/hal/serial/serialport.ts';
import type { SerialLink } from '../platform/hal/serial.ts';
import { systemClock } from '../platform/clock.ts';
import { openFlashSlots } from '../board/flash/slots.ts';
import type { LinkSettings } from '../host/desk/link-emulator.ts';
import { sendImage, type SendReport } from '../images/serial/sender.ts';
import { startChild, type BenchChild } from './lib/child.ts';

export interface FlashRun {
  /** From calling sendImage to its RESULT: the board has checked and committed the image. */
  ms: number;
  imageBytes: number;
  report: SendReport;
}

/** CPU milliseconds each side has used since the rig opened. */
export interface RigCpu { host: number; wire: number; socat: number; boards: number }

export interface Rig {
  readonly count: number;
  /** Every board back to: `slotA` in slot a, booted from it, nothing staged, slot b empty. */
  reset(slotA: string): Promise<void>;
  /** Flashes `image` to the boards named (default all) at once; one run per board. */
  flash(image: string, boards?: number[]): Promise<FlashRun[]>;
  cpu(): Promise<RigCpu>;
  close(): Promise<void>;
}

export async function openRig(opts: { work: string; count: number; settings: LinkSettings; publicKey: string }): Promise<Rig> {
  const { work, count, settings } = opts;
  const here = import.meta.dirname;
  const started = process.cpuUsage();
  const children: BenchChild[] = [];
  const hostLinks: SerialLink[] = [];
  const flashDir = (i: number) => join(work, `board${i}`, 'flash');
  const close = async () => {
    await Promise.all(hostLinks.map((l) => l.close().catch(() => undefined)));
    // Boards before cables: a receiver must not see its pty vanish under it.
    for (const c of children.reverse()) await c.stop();
  };
  try {
    const wire = await startChild(join(here, 'serial-wire.ts'));
    children.push(wire);
    const paths = await wire.request<{ hostPath: string; boardPath: string }[]>({ op: 'open', dir: join(work, 'tty'), count, settings });
    const boards = await startChild(join(here, 'serial-agent.ts'));
    children.push(boards);
    await boards.request({ op: 'open', baud: settings.baud, key: opts.publicKey, boards: paths.map((p, i) => ({ port: p.boardPath, flashDir: flashDir(i) })) });
    for (const p of paths) hostLinks.push(await serialportBinding().open(p.hostPath, { baudRate: settings.baud }));
    const clock = systemClock();
    return {
      count,
      async reset(slotA) {
        await Promise.all(Array.from({ length: count }, async (_, i) => {
          await rm(flashDir(i), { recursive: true, force: true });
          await mkdir(flashDir(i), { recursive: true });
          const slots = openFlashSlots(flashDir(i));
          await slots.install('a', slotA);
          await slots.writeEnv({ v: 1, active: 'a' });
        }));
      },
      async flash(image, which = hostLinks.map((_, i) => i)) {
        const imageBytes = (await stat(image)).size;
        return Promise.all(which.map(async (i) => {
          const t = performance.now();
          const report = await sendImage({ link: hostLinks[i]!, imageFile: image, clock, lineRate: settings.baud / 10, portName: `board${i}` });
          const ms = performance.now() - t;
          const landed = (await stat(openFlashSlots(flashDir(i)).slotFile('b')).catch(() => undefined))?.size;
          if (landed !== imageBytes) throw new Error(`board${i}: RESULT came but slot b holds ${landed ?? 'nothing'}, not ${imageBytes} bytes`);
          return { ms, imageBytes, report };
        }));
      },
      async cpu() {
        const own = process.cpuUsage(started);
        const w = await wire.request<{ nodeMs: number; socatMs: number }>({ op: 'cpu' });
        const b = await boards.request<{ nodeMs: number }>({ op: 'cpu' });
        return { host: (own.user + own.system) / 1000, wire: w.nodeMs, socat: w.socatMs, boards: b.nodeMs };
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/** CPU per side between two readings, as a share of the elapsed time (100% = one core). */
export function cpuShare(before: RigCpu, after: RigCpu, ms: number): string {
  const pct = (k: keyof RigCpu) => `${k} ${((100 * (after[k] - before[k])) / ms).toFixed(0)}%`;
  return `CPU ${(['host', 'wire', 'socat', 'boards'] as const).map(pct).join(', ')}`;
}
