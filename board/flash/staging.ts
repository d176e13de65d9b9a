/**
 * The image being received, on flash beside the slots: `staging.dbi` (written at its final
 * offsets, so a block is never moved again) and `staging.json`, the journal of the payload
 * blocks that are in it for sure (data fsynced before the journal names it). A flash that a
 * power cut or an unplugged cable interrupts resumes from the journal; another image starts over.
 */
import { open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import * as v from 'valibot';
import { writeFileAtomic } from '../../platform/atomic-file.ts';

const JournalSchema = v.strictObject({
  v: v.literal(1),
  sha256: v.string(),
  headLength: v.number(),
  fileSize: v.number(),
  done: v.array(v.number()),
});
type Journal = v.InferOutput<typeof JournalSchema>;

export interface Staging {
  readonly file: string;
  readonly done: ReadonlySet<number>;
  write(offset: number, data: Buffer): Promise<void>;
  read(offset: number, length: number): Promise<Buffer>;
  /** Records blocks as staged, after their bytes reached the flash. */
  markDone(blocks: number[]): Promise<void>;
  close(): Promise<void>;
}

export function stagingPaths(dir: string) {
  return { file: join(dir, 'staging.dbi'), journal: join(dir, 'staging.json') };
}

async function readJournal(file: string): Promise<Journal | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const parsed = v.safeParse(JournalSchema, JSON.parse(text));
    return parsed.success ? parsed.output : undefined;
  } catch {
    // A journal that does not parse describes nothing: start over.
    return undefined;
  }
}

/** Opens the staging for this image: resumed if the journal is for the same payload, else new. */
export async function openStaging(dir: string, id: { sha256: string; headLength: number; fileSize: number }): Promise<Staging> {
  const paths = stagingPaths(dir);
  const old = await readJournal(paths.journal);
  const same = old && old.sha256 === id.sha256 && old.headLength === id.headLength && old.fileSize === id.fileSize;
  // A journal without its file (a cut between moving the file into a slot and dropping the journal) names nothing.
  let fh: FileHandle | undefined = same ? await open(paths.file, 'r+').catch(() => undefined) : undefined;
  const resume = fh !== undefined;
  if (!fh) {
    await rm(paths.journal, { force: true });
    fh = await open(paths.file, 'w+');
  }
  const handle = fh;
  // Sparse: unwritten ranges read as zeros, which is what empty blocks are.
  await handle.truncate(id.fileSize);
  const done = new Set<number>(resume ? old!.done : []);
  let journalWrite = Promise.resolve();
  return {
    file: paths.file,
    done,
    async write(offset, data) {
      for (let at = 0; at < data.length;) at += (await handle.write(data, at, data.length - at, offset + at)).bytesWritten;
    },
    async read(offset, length) {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    },
    async markDone(blocks) {
      if (blocks.length === 0) return;
      await handle.sync();
      for (const b of blocks) done.add(b);
      const journal: Journal = { v: 1, ...id, done: [...done].sort((a, b) => a - b) };
      journalWrite = journalWrite.then(() => writeFileAtomic(paths.journal, JSON.stringify(journal), { durable: true }));
      await journalWrite;
    },
    async close() {
      await journalWrite.catch(() => undefined);
      await handle.close();
    },
  };
}

/** After the staged image went into a slot: nothing of it is left to resume. */
export async function clearStaging(dir: string): Promise<void> {
  const paths = stagingPaths(dir);
  await rm(paths.journal, { force: true });
  await rm(paths.file, { force: true });
}
