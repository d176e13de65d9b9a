/**
 * A kept console's log file: the bytes as they came, and a line of its own at each change of
 * the device, so someone reading a board's console log sees where output stops, why, and how
 * long the gap lasted.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { chmod } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { PRIVATE_FILE_MODE } from '../../platform/private-files.ts';

export class ConsoleLogError extends Error {
  constructor(readonly file: string, options: ErrorOptions) {
    super(`console log ${file}: ${(options.cause as Error)?.message ?? String(options.cause)}`, options);
    this.name = 'ConsoleLogError';
  }
}

/** `[deskbox 2026-12-02T10:00:00.123Z console back after 3.2 s]`, on a line of its own. */
export function noteLine(atEpochMs: number, text: string): string {
  return `\n[deskbox ${new Date(atEpochMs).toISOString()} console ${text}]\n`;
}

export function gapText(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export interface ConsoleLogFile {
  write(chunk: Buffer | string): void;
  /** Flushes and closes; rejects with the first write error, if there was one. */
  close(): Promise<void>;
}

/** Appended to, in order; what boards print can carry what they were sent: owner-only. */
export function openConsoleLogFile(file: string): ConsoleLogFile {
  // A real desk's first console log makes <state>/consoles.
  mkdirSync(dirname(file), { recursive: true });
  const stream: WriteStream = createWriteStream(file, { flags: 'a', mode: PRIVATE_FILE_MODE });
  let failed: Error | undefined;
  stream.on('error', (e) => { failed ??= e; });
  // The mode above only applies to a new file; an older one is narrowed too.
  stream.once('open', () => { chmod(file, PRIVATE_FILE_MODE).catch((e: Error) => { failed ??= e; }); });
  return {
    write(chunk) {
      if (!failed) stream.write(chunk);
    },
    async close() {
      stream.end();
      await finished(stream).catch((e: Error) => { failed ??= e; });
      if (failed) throw new ConsoleLogError(file, { cause: failed });
    },
  };
}
