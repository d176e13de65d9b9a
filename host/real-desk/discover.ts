/**
 * `desk discover`'s search: every outlet off, then on one at a time while every adapter is
 * watched; the one console that prints a boot banner belongs to that outlet's board. No banner,
 * or banners on several consoles at once, is a problem for that board and maps nothing.
 */
import type { SerialLink } from '../../platform/hal/serial.ts';
import type { Clock } from '../../platform/clock.ts';
import type { PowerOutlet } from '../power/outlet.ts';
import { stablePath, type Adapter } from './adapters.ts';

export interface DiscoverDeps {
  openSerial(path: string, baud: number): Promise<SerialLink>;
  baud: number;
  clock: Clock;
  /** A board's first words at power-on (U-Boot's banner). */
  banner: RegExp;
  /** How long a board may take from power-on to its banner. */
  bootTimeoutMs: number;
  /** After the first banner: how long other consoles may still show one (two boards on one outlet). */
  graceMs: number;
  /** After switching everything off: boards' supplies drain. */
  offSettleMs: number;
  say(line: string): void;
}

export interface Discovery {
  /** Board -> the adapter its console is on. */
  found: Record<string, Adapter>;
  problems: string[];
}

export async function discoverConsoles(adapters: Adapter[], outlets: Array<[string, PowerOutlet]>, deps: DiscoverDeps): Promise<Discovery> {
  const watched: Array<{ adapter: Adapter; link: SerialLink; text: string }> = [];
  const problems: string[] = [];
  const found: Record<string, Adapter> = {};
  try {
    for (const adapter of adapters) {
      try {
        const w = { adapter, link: await deps.openSerial(stablePath(adapter), deps.baud), text: '' };
        w.link.onData((chunk) => { w.text = (w.text + chunk.toString('latin1')).slice(-4096); });
        watched.push(w);
      } catch (e) {
        problems.push(`${stablePath(adapter)}: cannot open (${(e as Error).message}); not watched`);
      }
    }
    deps.say(`switching ${outlets.length} outlet(s) off`);
    for (const [board, outlet] of outlets) await outlet.off().catch((e: Error) => problems.push(`${board}: cannot switch off: ${e.message}`));
    await sleep(deps.clock, deps.offSettleMs);
    for (const [board, outlet] of outlets) {
      const free = watched.filter((w) => !Object.values(found).includes(w.adapter));
      for (const w of free) w.text = '';
      try {
        await outlet.on();
      } catch (e) {
        problems.push(`${board}: cannot switch on ${outlet.description}: ${(e as Error).message}`);
        continue;
      }
      const booted = () => free.filter((w) => deps.banner.test(w.text));
      await until(deps.clock, () => booted().length > 0, deps.bootTimeoutMs);
      if (booted().length > 0) await sleep(deps.clock, deps.graceMs);
      const seen = booted();
      if (seen.length === 1) {
        found[board] = seen[0]!.adapter;
        deps.say(`${board}: ${stablePath(seen[0]!.adapter)}`);
      } else {
        problems.push(seen.length === 0
          ? `${board}: no console showed a boot within ${deps.bootTimeoutMs / 1000} s of switching on ${outlet.description}`
          : `${board}: ${seen.length} consoles showed a boot after switching on ${outlet.description} (${seen.map((w) => stablePath(w.adapter)).join(', ')}): several boards on one outlet?`);
      }
    }
  } finally {
    await Promise.all(watched.map((w) => w.link.close().catch(() => undefined)));
  }
  return { found, problems };
}

const sleep = (clock: Clock, ms: number) => new Promise<void>((r) => clock.setTimeout(r, ms));

async function until(clock: Clock, ok: () => boolean, ms: number): Promise<void> {
  const end = clock.monotonic() + ms;
  while (!ok() && clock.monotonic() < end) await sleep(clock, 50);
}
