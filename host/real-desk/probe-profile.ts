/** How `desk check` tells U-Boot on each board's console: from the board's U-Boot profile. */
import { systemClock } from '../../platform/clock.ts';
import { loadUbootProfile, promptPattern } from '../flash/uboot-profile.ts';
import type { ProbeOptions } from './console-probe.ts';
import type { RealDesk } from '../locations/desk-yaml.ts';

/** The profile a board of the desk file flashes with when it names none. */
export const DEFAULT_UBOOT_PROFILE = 'sim';

export async function probeOptionsFor(desk: RealDesk, boards: string[], timeoutMs: number): Promise<Map<string, ProbeOptions>> {
  const clock = systemClock();
  const byProfile = new Map<string, Promise<ProbeOptions>>();
  const options = (name: string) => byProfile.get(name) ?? byProfile.set(name, loadUbootProfile(name).then((p) => ({ prompt: promptPattern(p), autoboot: p.autobootPrompt, timeoutMs, clock }))).get(name)!;
  return new Map(await Promise.all(boards.map(async (b) => [b, await options(desk.boards[b]?.uboot ?? DEFAULT_UBOOT_PROFILE)] as const)));
}
