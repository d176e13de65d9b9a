/**
 * A simulated board's RAM: its guests' runtime state lives in a folder of its own (like a
 * board's tmpfs), and a board whose power went comes back with none of it, as a real one does.
 * Without this a power cycle would not cure what a real one cures (a wedged runtime state), and
 * the desk's recovery would be judged on a board that cannot exist.
 */
import { rm } from 'node:fs/promises';
import type { DeskLayout } from '../locations/layout.ts';

/** Called once the boards' processes are gone (their guests stopped with them). */
export async function forgetBoardRam(layout: DeskLayout, boards: readonly string[]): Promise<void> {
  await Promise.all(boards.map((b) => rm(layout.board(b).ramStateDir, { recursive: true, force: true })));
}
