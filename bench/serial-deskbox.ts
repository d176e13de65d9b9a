/**
 * The deskbox protocol's side of the serial benchmark: repeated flashes on a rig of boards
 * (serial-rig.ts), each onto boards reset to the same starting state, with the CPU each side
 * spent while they ran. Beside lrzsz (serial-baseline.ts) on the same link settings.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LinkSettings } from '../host/desk/link-emulator.ts';
import { cpuShare, openRig, type FlashRun, type Rig, type RigCpu } from './serial-rig.ts';

export interface Measured {
  /** Per run: until the last board of the run had committed. */
  ms: number[];
  /** Per run, per board. */
  flashes: FlashRun[][];
  /** CPU per side over all runs, as a share of their elapsed time. */
  cpu: string;
}

export interface RigCase {
  settings: LinkSettings;
  boards: number;
  publicKey: string;
}

/** A rig for the length of `fn`, in a temp folder of its own that goes with it. */
export async function withRig<T>(c: RigCase, fn: (rig: Rig) => Promise<T>): Promise<T> {
  const work = await mkdtemp(join(tmpdir(), 'deskbox-bench-rig-'));
  try {
    const rig = await openRig({ work, count: c.boards, settings: c.settings, publicKey: c.publicKey });
    try {
      return await fn(rig);
    } finally {
      await rig.close();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * `runs` times: every board (or those in `boards`) back to `slotA`, then `image` flashed to
 * them at once. The reset is outside the timing, as a board's earlier state would be.
 */
export async function measureFlashes(rig: Rig, o: { image: string; slotA: string; runs: number; boards?: number[] }): Promise<Measured> {
  const ms: number[] = [];
  const flashes: FlashRun[][] = [];
  // Resets happen between runs: only the CPU spent while flashing is summed.
  const zero: RigCpu = { host: 0, wire: 0, socat: 0, boards: 0 };
  let spent = zero;
  for (let i = 0; i < o.runs; i++) {
    await rig.reset(o.slotA);
    const before = await rig.cpu();
    const t = performance.now();
    flashes.push(await rig.flash(o.image, o.boards));
    ms.push(performance.now() - t);
    spent = addDelta(spent, before, await rig.cpu());
  }
  return { ms, flashes, cpu: cpuShare(zero, spent, ms.reduce((a, b) => a + b, 0)) };
}

function addDelta(sum: RigCpu, from: RigCpu, to: RigCpu): RigCpu {
  const d = (k: keyof RigCpu) => sum[k] + to[k] - from[k];
  return { host: d('host'), wire: d('wire'), socat: d('socat'), boards: d('boards') };
}

/** Image bytes a second, as a share of the line rate (baud / 10 bytes a second), in %. */
export function percentOfLine(imageBytes: number, ms: number, baud: number): number {
  return (100 * imageBytes) / (ms / 1000) / (baud / 10);
}
