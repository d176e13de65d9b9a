/**
 * What the board's init knows of its boot before the agent ran, turned into boot phases on the
 * board's clock. A simulated desk starts the boot program with the power-on instant alone
 * (DESKBOX_POWER_ON_AT, one clock for all). A QEMU board's init (scripts/qemu-board-os/
 * board-init.sh) knows more, as uptimes: the kernel's start, its own and the boot program's
 * (DESKBOX_BOOT_UPTIMES="kernel=0 init=8.80 boot-program=13.82"; a boot program it starts
 * again, a new boot of the software only, gets just its own); and it asked the desk's
 * power switch when it switched on, on the desk computer's clock, with that clock's reading
 * then (DESKBOX_HOST_CLOCK="<uptime s> <power-on ms> <desk now ms>"). The board's own clock
 * (QEMU's RTC, whole seconds) differs from the desk's by up to a second, so power-on is moved
 * onto the board's clock by that difference: the phases then read in order on one clock.
 */
import { readFileSync } from 'node:fs';
import type { BootPhase } from '../broker/contract/payloads.ts';

export interface BootTimeline {
  powerOnAt?: number;
  /** Phases between power-on and the agent's start, in boot order. */
  early: BootPhase[];
}

const EARLY = ['kernel', 'init', 'boot-program'] as const;

export function readUptimeS(file = '/proc/uptime'): number {
  return Number(readFileSync(file, 'utf8').split(' ')[0]);
}

/** `now`/`uptimeS`: the board's clock and uptime read together, now. */
export function bootTimeline(env: NodeJS.ProcessEnv, now: number, uptimeS: () => number): BootTimeline {
  const direct = Number(env.DESKBOX_POWER_ON_AT) || undefined;
  if (!env.DESKBOX_BOOT_UPTIMES) return { ...(direct ? { powerOnAt: direct } : {}), early: [] };
  const upNow = uptimeS();
  const atUptime = (u: number) => Math.round(now - (upNow - u) * 1000);
  const uptimes = new Map<string, number>();
  for (const pair of env.DESKBOX_BOOT_UPTIMES.trim().split(/\s+/)) {
    const [name, value] = pair.split('=');
    if (name && Number.isFinite(Number(value))) uptimes.set(name, Number(value));
  }
  const early = EARLY.filter((p) => uptimes.has(p)).map((phase) => ({ phase, at: atUptime(uptimes.get(phase)!) }));
  const [readAt, powerOn, deskNow] = (env.DESKBOX_HOST_CLOCK ?? '').trim().split(/\s+/).map(Number);
  if (![readAt, powerOn, deskNow].every((n) => Number.isFinite(n))) return { ...(direct ? { powerOnAt: direct } : {}), early };
  // The desk's clock minus the board's, at the moment the init asked.
  const skew = deskNow! - atUptime(readAt!);
  return { powerOnAt: powerOn! - skew, early };
}
