/**
 * The boot environment: which of the two image slots the board boots. It is the one piece
 * of state that decides whether a board comes up, so it is validated on read and written
 * write -> fsync -> rename: a power cut leaves the old or the new environment, never half.
 *
 * `active` is the slot known good. A freshly flashed slot is a `trial`: the boot program boots it
 * at most MAX_TRIES times, counting each attempt, until the agent on it comes online and
 * confirms it (it becomes `active`); after that many unconfirmed boots the board goes back
 * to `active` for good, as U-Boot's bootcount does.
 */
import { readFile } from 'node:fs/promises';
import * as v from 'valibot';
import { describeIssues } from '../../broker/contract/messages.ts';
import { writeFileAtomic } from '../../platform/atomic-file.ts';

export const SLOTS = ['a', 'b'] as const;
export type Slot = (typeof SLOTS)[number];

export const MAX_TRIES = 3;

export const BootEnvSchema = v.strictObject({
  v: v.literal(1),
  active: v.picklist(SLOTS),
  trial: v.optional(v.strictObject({ slot: v.picklist(SLOTS), tries: v.pipe(v.number(), v.integer(), v.minValue(0)) })),
});
export type BootEnv = v.InferOutput<typeof BootEnvSchema>;

export class BootEnvError extends Error {
  constructor(readonly file: string, detail: string) {
    super(`boot environment ${file}: ${detail}`);
    this.name = 'BootEnvError';
  }
}

export function otherSlot(s: Slot): Slot {
  return s === 'a' ? 'b' : 'a';
}

/** Undefined when the board was never flashed. */
export async function readBootEnv(file: string): Promise<BootEnv | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new BootEnvError(file, (e as Error).message);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new BootEnvError(file, `not JSON (${(e as Error).message})`);
  }
  const parsed = v.safeParse(BootEnvSchema, json);
  if (!parsed.success) throw new BootEnvError(file, describeIssues(parsed.issues));
  return parsed.output;
}

export async function writeBootEnv(file: string, env: BootEnv): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(env) + '\n', { durable: true });
}

/** The slot to boot now and the environment to save first (the attempt is counted before it is made). */
export function planBoot(env: BootEnv): { slot: Slot; save?: BootEnv; gaveUp?: Slot } {
  if (!env.trial || env.trial.slot === env.active) return env.trial ? { slot: env.active, save: { v: 1, active: env.active } } : { slot: env.active };
  if (env.trial.tries >= MAX_TRIES) return { slot: env.active, save: { v: 1, active: env.active }, gaveUp: env.trial.slot };
  return { slot: env.trial.slot, save: { ...env, trial: { slot: env.trial.slot, tries: env.trial.tries + 1 } } };
}

/** The agent on `booted` is healthy: a trial of that slot becomes the active slot. */
export function confirmBoot(env: BootEnv, booted: Slot): BootEnv | undefined {
  if (env.trial?.slot !== booted) return undefined;
  return { v: 1, active: booted };
}

/**
 * A new image is in `slot`: try it at the next boots; fall back to the other slot, the one the
 * board runs from now (running well enough to take a flash is the best evidence there is).
 */
export function startTrial(slot: Slot): BootEnv {
  return { v: 1, active: otherSlot(slot), trial: { slot, tries: 0 } };
}

