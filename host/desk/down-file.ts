/**
 * Why a desk went down on its own (its broker crash-looped), kept in the state folder: the
 * supervisor is gone by the time someone runs `desk status`, and its log is not where one looks.
 */
import { rm } from 'node:fs/promises';
import type { DeskLayout } from '../locations/layout.ts';
import { readJsonIfExists, writeJsonAtomic } from '../locations/json-files.ts';

export interface DownRecord {
  at: number;
  reason: string;
}

export const recordDown = (layout: DeskLayout, reason: string) => writeJsonAtomic(layout.downFile, { at: Date.now(), reason } satisfies DownRecord);

export const readDown = (layout: DeskLayout) => readJsonIfExists<DownRecord>(layout.downFile);

/** A desk brought up again is no longer down for that reason. */
export const clearDown = (layout: DeskLayout) => rm(layout.downFile, { force: true });
