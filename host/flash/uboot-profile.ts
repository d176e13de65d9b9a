/**
 * How to drive a board type's U-Boot: what its countdown says, its prompt, and the commands
 * that load an image by YMODEM, check it, write it and reset. Real boards differ (load
 * address, `mmc write` vs `ext4write`, how the slot switches), so a profile is data: the
 * built-in `sim` one fits the simulated desk's U-Boot, others come from a JSON file.
 * `${loadaddr}` and `${filesize}` (hex, as U-Boot sets it) are filled in by the driver.
 */
import { readFile } from 'node:fs/promises';
import * as v from 'valibot';
import { describeIssues } from '../../broker/contract/messages.ts';

const regex = v.pipe(v.string(), v.check((s) => { try { new RegExp(s); return true; } catch { return false; } }, 'must be a valid regular expression'));

export const UbootProfileSchema = v.strictObject({
  name: v.string(),
  baud: v.optional(v.pipe(v.number(), v.integer(), v.minValue(300)), 115200),
  /** Printed while U-Boot counts down; any key stops it. */
  autobootPrompt: v.optional(v.string(), 'Hit any key to stop autoboot'),
  interruptKey: v.optional(v.string(), ' '),
  prompt: v.optional(v.string(), '=> '),
  loadAddr: v.optional(v.string(), '0x82000000'),
  load: v.optional(v.string(), 'loady ${loadaddr}'),
  check: v.optional(v.string(), 'crc32 ${loadaddr} ${filesize}'),
  /** Matches the check command's output; group 1 is the CRC-32 in hex. */
  checkResult: v.optional(regex, '==> ([0-9a-fA-F]{8})'),
  write: v.array(v.string()),
  /** The write commands' output must match this, or the flash failed. */
  writeOk: regex,
  reset: v.optional(v.string(), 'reset'),
  /** How long to wait for the countdown after the board was reset. */
  promptTimeoutMs: v.optional(v.pipe(v.number(), v.minValue(100)), 30_000),
  /** Per command (the write may take a while on real flash). */
  commandTimeoutMs: v.optional(v.pipe(v.number(), v.minValue(100)), 120_000),
});
export type UbootProfile = v.InferOutput<typeof UbootProfileSchema>;

export const BUILTIN_PROFILES: Record<string, UbootProfile> = {
  sim: v.parse(UbootProfileSchema, { name: 'sim', write: ['dbi write ${loadaddr} ${filesize}'], writeOk: 'dbi: slot [ab] written' }),
};

export async function loadUbootProfile(nameOrFile: string): Promise<UbootProfile> {
  const builtin = BUILTIN_PROFILES[nameOrFile];
  if (builtin) return builtin;
  let json: unknown;
  try {
    json = JSON.parse(await readFile(nameOrFile, 'utf8'));
  } catch (e) {
    throw new Error(`U-Boot profile "${nameOrFile}": not a built-in profile (${Object.keys(BUILTIN_PROFILES).join(', ')}) nor a readable JSON file (${(e as Error).message})`);
  }
  const parsed = v.safeParse(UbootProfileSchema, json);
  if (!parsed.success) throw new Error(`U-Boot profile ${nameOrFile}: ${describeIssues(parsed.issues)}`);
  return parsed.output;
}

export function fillCommand(template: string, vars: { loadaddr: string; filesize: number }): string {
  return template.replaceAll('${loadaddr}', vars.loadaddr).replaceAll('${filesize}', vars.filesize.toString(16));
}
