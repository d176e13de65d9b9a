/**
 * The boot environment: which of the two image slots the board boots. It is the one piece
 * of state that decides whether a board comes up, so it is validated on read and written
 * write -> fsync -> rename: a power cut leaves the old or the new environment, never half.
 */
import { readFile } from 'node:fs/promises';
import * as v from 'valibot';
import { describeIssues } from '../../broker/contract/messages.ts';
import { writeFileAtomic } from '../runtime/atomic-file.ts';

export const SLOTS = ['a', 'b'] as const;
export type Slot = (typeof SLOTS)[number];

export const BootEnvSchema = v.strictObject({
  v: v.literal(1),
  active: v.picklist(SLOTS),
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
