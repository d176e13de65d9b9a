/**
 * How to drive a board type's U-Boot: its RAM and where in it an image loads, what its
 * countdown says, its prompt, and the commands that load an image by YMODEM, check it, write it
 * and reset. Real boards differ (RAM, load address, `mmc write` vs `nand write`, how the slot
 * switches), so a profile is data: the built-in `sim` one fits the simulated desk's U-Boot,
 * `qemu-arm` Debian's U-Boot for QEMU's `virt` machine, others come from a JSON file.
 * `${loadaddr}` and `${filesize}` (hex, as U-Boot sets it) are filled in by the driver.
 */
import { readFile } from 'node:fs/promises';
import * as v from 'valibot';
import { describeIssues } from '../../broker/contract/messages.ts';
import { ADDRESS_PATTERN, UbootProfileError, checkLoadAddr } from './uboot-ram.ts';

const regex = v.pipe(v.string(), v.check((s) => { try { new RegExp(s); return true; } catch { return false; } }, 'must be a valid regular expression'));
const address = v.pipe(v.string(), v.regex(ADDRESS_PATTERN, 'must be a hex address such as "0x40000000"'));

export const UbootProfileSchema = v.strictObject({
  name: v.string(),
  baud: v.optional(v.pipe(v.number(), v.integer(), v.minValue(300)), 115200),
  /**
   * The board's RAM (`bdinfo` prints it). Required, like loadAddr: no default fits every
   * board, and a load address outside RAM crashes U-Boot.
   */
  ram: v.strictObject({ start: address, size: address }),
  loadAddr: address,
  /** Printed while U-Boot counts down; any key stops it. */
  autobootPrompt: v.optional(v.string(), 'Hit any key to stop autoboot'),
  interruptKey: v.optional(v.string(), ' '),
  prompt: v.optional(v.string(), '=> '),
  load: v.optional(v.string(), 'loady ${loadaddr}'),
  check: v.optional(v.string(), 'crc32 ${loadaddr} ${filesize}'),
  /** Matches the check command's output; group 1 is the CRC-32 in hex. */
  checkResult: v.optional(regex, '==> ([0-9a-fA-F]{8})'),
  write: v.array(v.string()),
  /** The write commands' output must match this, or the flash failed. */
  writeOk: regex,
  reset: v.optional(v.string(), 'reset'),
  /**
   * How long a U-Boot already at its prompt gets to answer the Enter sent first: it echoes at
   * once, but a USB adapter adds up to ~16 ms each way and an emulated board more.
   */
  promptProbeMs: v.optional(v.pipe(v.number(), v.minValue(100)), 1000),
  /** How long to wait for the countdown after the board was reset. */
  promptTimeoutMs: v.optional(v.pipe(v.number(), v.minValue(100)), 30_000),
  /** Per command (the write may take a while on real flash). */
  commandTimeoutMs: v.optional(v.pipe(v.number(), v.minValue(100)), 120_000),
});
export type UbootProfile = v.InferOutput<typeof UbootProfileSchema>;

/** A profile from JSON (a file's, or a built-in's): the schema, then its load address against its RAM. */
export function parseUbootProfile(json: unknown, source: string): UbootProfile {
  const parsed = v.safeParse(UbootProfileSchema, json);
  if (!parsed.success) throw new UbootProfileError(source, describeIssues(parsed.issues));
  // Named by where it came from: a file's errors should name the file.
  checkLoadAddr({ ...parsed.output, name: source });
  return parsed.output;
}

export const BUILTIN_PROFILES: Record<string, UbootProfile> = {
  // The simulated U-Boot (host/desk/uboot-sim.ts) loads at 0x82000000 and its `loady` takes at
  // most 256 MiB (the supervisor's MAX_LOAD_BYTES): that window is all the RAM it offers.
  sim: parseUbootProfile({
    name: 'sim', ram: { start: '0x82000000', size: '0x10000000' }, loadAddr: '0x82000000',
    write: ['dbi write ${loadaddr} ${filesize}'], writeOk: 'dbi: slot [ab] written',
  }, 'sim'),
  // Debian's u-boot-qemu (qemu_arm) on `qemu-system-arm -M virt -m 256`. The machine has no
  // storage to write an image to, so the write step only checks RAM once more. QEMU's pty
  // notices a newly opened console on a 1 s timer and drops output until then.
  'qemu-arm': parseUbootProfile({
    name: 'qemu-arm', ram: { start: '0x40000000', size: '0x10000000' }, loadAddr: '0x40200000',
    write: ['crc32 ${loadaddr} ${filesize}'], writeOk: '==> [0-9a-fA-F]{8}', promptProbeMs: 2500,
  }, 'qemu-arm'),
  // The desk's QEMU boards (host/qemu/): the same U-Boot, 512 MiB, and a disk whose partition 4,
  // the inbox, starts at block 0x220800 (host/qemu/disk-layout.ts). The image goes there raw,
  // whole blocks; the boot program takes it into the inactive slot at the next boot
  // (board/flash/inbox.ts). `ram` ends where the 256 MiB inbox would overflow.
  'qemu-board': parseUbootProfile({
    name: 'qemu-board', ram: { start: '0x40000000', size: '0x10200000' }, loadAddr: '0x40200000',
    write: ['virtio scan', 'setexpr blocks ${filesize} + 1ff', 'setexpr blocks ${blocks} / 200', 'virtio write ${loadaddr} 220800 ${blocks}'],
    writeOk: 'blocks written: OK', promptProbeMs: 2500,
  }, 'qemu-board'),
};

export async function loadUbootProfile(nameOrFile: string): Promise<UbootProfile> {
  const builtin = BUILTIN_PROFILES[nameOrFile];
  if (builtin) return builtin;
  let json: unknown;
  try {
    json = JSON.parse(await readFile(nameOrFile, 'utf8'));
  } catch (e) {
    throw new UbootProfileError(nameOrFile, `not a built-in profile (${Object.keys(BUILTIN_PROFILES).join(', ')}) nor a readable JSON file (${(e as Error).message})`);
  }
  return parseUbootProfile(json, nameOrFile);
}

export function fillCommand(template: string, vars: { loadaddr: string; filesize: number }): string {
  return template.replaceAll('${loadaddr}', vars.loadaddr).replaceAll('${filesize}', vars.filesize.toString(16));
}

/** The prompt at a line start only: `=> ` also appears inside output such as crc32's `... ==> 1a2b3c4d`. */
export function promptPattern(p: UbootProfile): RegExp {
  return new RegExp(`(?:^|\\n)${p.prompt.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);
}
