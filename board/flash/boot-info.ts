/**
 * What the boot program tells the agent it started: the slot, the image in it and where that
 * image's board defaults are. Written to RAM (/run on a board) before the agent starts.
 */
import { readFile } from 'node:fs/promises';
import * as v from 'valibot';
import { describeIssues } from '../../broker/contract/messages.ts';
import { writeFileAtomic } from '../../platform/atomic-file.ts';
import { SLOTS } from './boot-env.ts';

export const BootInfoSchema = v.strictObject({
  v: v.literal(1),
  slot: v.picklist(SLOTS),
  /** The slot's image file: the agent installs the guest images it carries from there. */
  slotFile: v.string(),
  image: v.strictObject({ name: v.string(), version: v.string(), sha256: v.string() }),
  /** The image's board defaults file, unpacked beside the agent; null if it has none. */
  defaults: v.nullable(v.string()),
});
export type BootInfo = v.InferOutput<typeof BootInfoSchema>;

export async function readBootInfo(file: string): Promise<BootInfo> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new Error(`boot info ${file}: ${(e as Error).message}`);
  }
  const parsed = v.safeParse(BootInfoSchema, json);
  if (!parsed.success) throw new Error(`boot info ${file}: ${describeIssues(parsed.issues)}`);
  return parsed.output;
}

export async function writeBootInfo(file: string, info: BootInfo): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(info) + '\n');
}
