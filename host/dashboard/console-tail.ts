/**
 * The last lines of a board's console log for the page's board detail view: only the end of
 * the file is read (a console log grows for as long as the desk runs), and terminal control
 * sequences are dropped, since the page shows the lines as plain text.
 */
import { open } from 'node:fs/promises';

/** At most this much of the file's end is read: lines beyond it are not asked for in practice. */
export const TAIL_BYTES = 64 * 1024;
export const MAX_TAIL_LINES = 500;

// CSI and OSC escape sequences, then every other control character but tab.
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]/g;
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f]/g;

/**
 * The last `lines` lines of `text`, which is the end of a longer file when `truncated` (its
 * first line is then a piece of one and left out). Carriage returns end nothing on their own.
 */
export function tailLines(text: string, lines: number, truncated: boolean): string[] {
  const all = text.replace(/\r\n?/g, '\n').split('\n');
  if (truncated) all.shift();
  if (all.at(-1) === '') all.pop();
  return all.slice(-lines).map((line) => line.replace(ESCAPES, '').replace(CONTROLS, ''));
}

/** The last `lines` lines of the file at `path`; rejects as fs does (ENOENT for no log yet). */
export async function readConsoleTail(path: string, lines: number): Promise<string[]> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    await file.read(buffer, 0, length, size - length);
    return tailLines(buffer.toString('utf8'), lines, length < size);
  } finally {
    await file.close();
  }
}
