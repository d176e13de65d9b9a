/**
 * Waiting for the board's own network. A simulated desk builds its LAN (hundreds of namespaces,
 * 20-30 s at Strongbox scale) while its boards boot instead of before, and writes one file when
 * it is done: `{"up": true}`, or `{"up": false, "reason": "..."}`. Until then the net service
 * holds its operations back; a desk that says the LAN failed, or never says, makes them fail
 * with that reason instead of with whatever `ip` says about a namespace that is not there.
 * A real board has no such file in its config and waits for nothing.
 */
import { readFile } from 'node:fs/promises';

export class LanNotReadyError extends Error {
  override readonly name = 'LanNotReadyError';
  constructor(readonly file: string, reason: string) {
    super(`the desk LAN is not there: ${reason}`);
  }
}

export interface LanWaitOptions {
  timeoutMs: number;
  pollMs: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** Bounds a desk that died before saying: longer than the LAN of a 490-board desk takes under load. */
export const LAN_WAIT: LanWaitOptions = { timeoutMs: 180_000, pollMs: 250 };

async function verdict(file: string): Promise<{ up: boolean; reason?: string } | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const doc = JSON.parse(text) as { up?: unknown; reason?: unknown };
    return { up: doc.up === true, ...(typeof doc.reason === 'string' && { reason: doc.reason }) };
  } catch {
    return { up: false, reason: `${file} is not JSON` };
  }
}

export async function waitForLan(file: string, opts: LanWaitOptions = LAN_WAIT): Promise<void> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = opts.now ?? Date.now;
  const deadline = now() + opts.timeoutMs;
  for (;;) {
    const said = await verdict(file);
    if (said?.up) return;
    if (said) throw new LanNotReadyError(file, said.reason ?? 'the desk says it could not make it');
    if (now() >= deadline) throw new LanNotReadyError(file, `the desk did not say it was up within ${opts.timeoutMs / 1000} s (${file})`);
    await sleep(opts.pollMs);
  }
}
