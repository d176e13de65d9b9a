/**
 * What switches a board's power, whatever the hardware: a relay on the desk broker (Tasmota,
 * Shelly), a GPIO relay board, a USB hub port, a person, or the simulated desk. One interface
 * so the CLI and one contract suite (test/power/outlet.contract.ts) cover them all.
 */
import type { Clock } from '../../platform/clock.ts';

export type OutletState = 'on' | 'off' | 'unknown';

export interface PowerOutlet {
  /** What tables and errors call it, e.g. "tasmota relay-rack1 POWER2". */
  readonly description: string;
  on(): Promise<void>;
  off(): Promise<void>;
  /** Off, `offMs` (default from the spec, 2000), on. */
  cycle(): Promise<void>;
  /** Asks the device; 'unknown' only for drivers that cannot tell (manual). Rejects with PowerError code 'no-answer' within the timeout when the device does not answer. */
  state(): Promise<OutletState>;
  close(): Promise<void>;
}

export type PowerErrorCode = 'no-answer' | 'refused' | 'failed' | 'config';

export class PowerError extends Error {
  constructor(readonly code: PowerErrorCode, readonly outlet: string, detail: string, options?: ErrorOptions) {
    super(`${outlet}: ${detail}`, options);
    this.name = 'PowerError';
  }
}

/** A pause on the injected clock, so tests can drive a cycle's off time by hand. */
export function sleepOn(clock: Clock): (ms: number) => Promise<void> {
  return (ms) => new Promise((resolve) => clock.setTimeout(resolve, ms));
}

/** The cycle every driver without a native one does: off, wait, on. */
export async function offWaitOn(outlet: Pick<PowerOutlet, 'on' | 'off'>, offMs: number, sleep: (ms: number) => Promise<void>): Promise<void> {
  await outlet.off();
  await sleep(offMs);
  await outlet.on();
}

/**
 * Rejects with 'no-answer' unless `work` settles within `timeoutMs`; the timer is always
 * cleared so a quick answer leaves nothing pending.
 */
export function withDeadline<T>(clock: Clock, timeoutMs: number, outlet: string, what: string, work: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(new PowerError('no-answer', outlet, `no answer to ${what} within ${timeoutMs} ms`)), timeoutMs);
    work.then(
      (v) => { clock.clearTimeout(timer); resolve(v); },
      (e: unknown) => { clock.clearTimeout(timer); reject(e); },
    );
  });
}
