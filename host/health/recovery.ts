/**
 * How the desk brings a quarantined board back, cheapest step first:
 *   1. power cycle: a hung agent, a wedged kernel or a crash loop's leftovers go with the power;
 *   2. reflash the desk's known-good board image over the console (the agent's protocol, else
 *      U-Boot: flash-one.ts picks), then let it boot.
 * After each step the board must come online with the known-good image and pass a self-check
 * asked for at once; a board that comes back from another slot or image is reflashed anyway.
 * The effects (outlets, flashing, MQTT) are injected, so the sequence is tested with fakes.
 */
import type { HealthReport } from '../../broker/contract/health.ts';
import type { RecoveryOutcome } from './service.ts';

export interface BootedImage {
  sha256: string;
  version: string;
}

export interface RecoveryDeps {
  /** Off, then on again; absent where the board has no outlet (its step is skipped). */
  powerCycle?(board: string): Promise<void>;
  /** Writes the known-good image into the board and resets it into it. */
  reflash(board: string): Promise<void>;
  /** Resolves with the image it booted once the board is online after `since`; rejects after the timeout. */
  online(board: string, since: number): Promise<BootedImage | undefined>;
  /** The board's self-checks, run now. */
  check(board: string): Promise<HealthReport>;
  /** The image a healthy board runs. */
  knownGood: BootedImage;
  now(): number;
}

const failedChecks = (r: HealthReport) => r.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`).join('; ');

export async function recoverBoard(board: string, deps: RecoveryDeps): Promise<RecoveryOutcome> {
  const steps: string[] = [];
  let last = 'no step ran';
  /** Runs a step, then asks: back, on the known-good image, and passing its checks? */
  const attempt = async (name: string, step: () => Promise<void>): Promise<boolean> => {
    steps.push(name);
    const since = deps.now();
    try {
      await step();
      const booted = await deps.online(board, since);
      if (booted?.sha256 !== deps.knownGood.sha256) {
        last = `after ${name} it runs ${booted ? `image ${booted.version} (${booted.sha256.slice(0, 12)})` : 'no image from a slot'}, not the known-good ${deps.knownGood.version}`;
        return false;
      }
      const report = await deps.check(board);
      if (!report.ok) {
        last = `after ${name} its self-check failed: ${failedChecks(report)}`;
        return false;
      }
      last = `back after ${name}, self-check passed`;
      return true;
    } catch (e) {
      last = `${name}: ${(e as Error).message}`;
      return false;
    }
  };
  const cycle = deps.powerCycle;
  if (cycle && (await attempt('power-cycle', () => cycle(board)))) return { ok: true, steps, reason: last };
  if (await attempt('reflash', () => deps.reflash(board))) return { ok: true, steps, reason: last };
  return { ok: false, steps, reason: last };
}
