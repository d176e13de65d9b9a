/**
 * Waiting for a board to boot by watching its console for U-Boot's banner: how the manual power
 * driver knows a person really switched a board on. A console that another part of this run
 * already holds (a flash waits for the boot itself) is not watched twice.
 */
import { serialportBinding } from '../../board/hal/serial/serialport.ts';
import { HalError } from '../../platform/hal/errors.ts';
import type { RealDesk } from '../locations/desk-yaml.ts';
import { resolveConsoles } from './console-paths.ts';
import { defaultAdapterSources, listAdapters } from './adapters.ts';

/** What a board prints first at power-on. */
export const BOOT_BANNER = /U-Boot \d{4}\.\d{2}/;

export async function waitForBootOnConsole(real: RealDesk, board: string, timeoutMs: number): Promise<void> {
  const [c] = await resolveConsoles(real, async () => (await listAdapters(defaultAdapterSources())).adapters, [board]);
  if (!c?.path || c.problem) throw new Error(`cannot watch ${board}'s console: ${c?.problem ?? 'none'}`);
  const link = await serialportBinding().open(c.path, { baudRate: c.baud }).catch((e: unknown) => {
    if (e instanceof HalError && /lock|busy/i.test(e.message)) return undefined;
    throw e;
  });
  if (!link) return;
  try {
    let heard = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { off(); reject(new Error(`no boot banner on ${c.path} within ${timeoutMs} ms`)); }, timeoutMs);
      const off = link.onData((chunk) => {
        heard = (heard + chunk.toString('latin1')).slice(-4096);
        if (BOOT_BANNER.test(heard)) { clearTimeout(timer); off(); resolve(); }
      });
    });
  } finally {
    await link.close();
  }
}
