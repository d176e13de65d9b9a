/**
 * An unfinished push on the board's disk: `<dest>.deskbox-part` holds the bytes at their
 * offsets, `<dest>.deskbox-part.json` says which chunks were verified. The state file is only
 * ever replaced whole (write, fsync, rename), and only after the part file's data is synced,
 * so after a crash it never names a chunk the part file does not hold. Before the part becomes
 * `dest` it is read back whole: every chunk and the file's hash checked once more.
 */
import { createHash } from 'node:crypto';
import { readFile, rm, stat, type FileHandle } from 'node:fs/promises';
import * as v from 'valibot';
import { writeFileAtomic } from '../../platform/atomic-file.ts';
import { chunkRange } from '../../images/push/manifest.ts';
import type { PushManifest } from '../../broker/contract/commands/push.ts';

export interface PartPaths {
  dest: string;
  part: string;
  state: string;
}

export function partPaths(dest: string): PartPaths {
  return { dest, part: `${dest}.deskbox-part`, state: `${dest}.deskbox-part.json` };
}

const PartStateSchema = v.object({
  v: v.literal(1),
  id: v.string(),
  sha256: v.string(),
  chunkSize: v.number(),
  verified: v.array(v.pipe(v.number(), v.integer(), v.minValue(0))),
});

/**
 * The chunks an earlier run verified, when its part belongs to this very manifest; otherwise
 * none (a part for another file or another chunking is started over, not trusted).
 */
export async function readVerified(paths: PartPaths, m: PushManifest): Promise<Set<number>> {
  const text = await readFile(paths.state, 'utf8').catch(() => undefined);
  const partSize = await stat(paths.part).then((s) => s.size, () => -1);
  if (text === undefined || partSize !== m.size) return new Set();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return new Set();
  }
  const parsed = v.safeParse(PartStateSchema, json);
  if (!parsed.success) return new Set();
  const s = parsed.output;
  if (s.id !== m.id || s.sha256 !== m.sha256 || s.chunkSize !== m.chunkSize) return new Set();
  return new Set(s.verified.filter((i) => i < m.chunks.length));
}

/** Call only once the part file's data is synced. */
export async function saveVerified(paths: PartPaths, m: PushManifest, verified: ReadonlySet<number>): Promise<void> {
  const state = { v: 1, id: m.id, sha256: m.sha256, chunkSize: m.chunkSize, verified: [...verified].sort((a, b) => a - b) };
  await writeFileAtomic(paths.state, JSON.stringify(state), { durable: true });
}

export async function removePart(paths: PartPaths): Promise<void> {
  await Promise.all([rm(paths.state, { force: true }), rm(paths.part, { force: true })]);
}

/** Reads the part back: chunks that no longer match their hash, and the whole file's sha256. */
export async function readBack(part: FileHandle, m: PushManifest, buffer: Buffer): Promise<{ bad: number[]; sha256: string }> {
  const whole = createHash('sha256');
  const bad: number[] = [];
  for (let i = 0; i < m.chunks.length; i++) {
    const { start, end } = chunkRange(m, i);
    const { bytesRead } = await part.read(buffer, 0, end - start, start);
    const chunk = buffer.subarray(0, bytesRead);
    if (bytesRead !== end - start || createHash('sha256').update(chunk).digest('hex') !== m.chunks[i]) bad.push(i);
    whole.update(chunk);
  }
  return { bad, sha256: whole.digest('hex') };
}
