/**
 * A board's configuration file: who it is, where its broker is, and which hardware bindings
 * it uses. On a real board this lives in the image; the simulated desk writes one per board.
 */
import { readFile } from 'node:fs/promises';
import * as v from 'valibot';
import { isValidId } from '../broker/contract/topics.ts';
import { describeIssues } from '../broker/contract/messages.ts';

const id = v.pipe(v.string(), v.check(isValidId, 'must be 1-63 of A-Z a-z 0-9 _ . - starting alphanumeric'));
const seconds = (min: number, max: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));

const GuestsSchema = v.object({
  /** `auto`: crun where it and root are available, else plain processes (no isolation). */
  runtime: v.optional(v.picklist(['auto', 'crun', 'process']), 'auto'),
  /** RAM-backed (tmpfs) folder for bundles, runtime state and the readiness FIFO. */
  stateDir: v.string(),
  /** Folder of images: `<imagesDir>/<name>/rootfs`, shared read-only by all guests. */
  imagesDir: v.string(),
  maxGuests: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(9999)), 1024),
  maxParallel: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(64)), 4),
  profile: v.optional(v.picklist(['light', 'full']), 'light'),
  stopGraceMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 2000),
  restart: v.optional(v.object({
    mode: v.picklist(['on-failure', 'never']),
    maxRestarts: v.pipe(v.number(), v.integer(), v.minValue(0)),
    backoffBaseMs: v.pipe(v.number(), v.minValue(0)),
    backoffMaxMs: v.pipe(v.number(), v.minValue(0)),
  }), { mode: 'on-failure', maxRestarts: 5, backoffBaseMs: 1000, backoffMaxMs: 60_000 }),
});
export type GuestsConfig = v.InferOutput<typeof GuestsSchema>;

export const BoardConfigSchema = v.object({
  v: v.literal(1),
  desk: id,
  board: id,
  broker: v.object({
    url: v.pipe(v.string(), v.regex(/^mqtts?:\/\//, 'must be an mqtt:// or mqtts:// URL')),
    username: v.string(),
    /** Read from a file so the password never appears in argv or a process listing. */
    passwordFile: v.string(),
  }),
  keepaliveS: v.optional(seconds(1, 600), 10),
  telemetryPeriodS: v.optional(seconds(1, 3600), 2),
  samplePeriodS: v.optional(seconds(1, 60), 1),
  hardware: v.object({
    /** hwmon directory of the board's ina2xx sensor; `auto` searches /sys/class/hwmon. */
    power: v.string(),
    /** `sim:<dir>` for file-backed lines, `onoff` for the kernel's GPIO. */
    gpio: v.string(),
    /** GPIO line numbers by name, for the onoff binding. */
    gpioLines: v.optional(v.record(v.string(), v.number()), {}),
    /** Serial console device; empty for none. */
    console: v.optional(v.string(), ''),
    consoleBaud: v.optional(v.number(), 115200),
  }),
  guests: v.optional(GuestsSchema),
});

export type BoardConfig = v.InferOutput<typeof BoardConfigSchema>;

export class ConfigError extends Error {
  constructor(readonly file: string, reason: string) {
    super(`board config ${file}: ${reason}`);
    this.name = 'ConfigError';
  }
}

export async function loadBoardConfig(file: string): Promise<BoardConfig> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(file, (err as Error).message);
  }
  const parsed = v.safeParse(BoardConfigSchema, json);
  if (!parsed.success) throw new ConfigError(file, describeIssues(parsed.issues));
  return parsed.output;
}

export async function readPassword(file: string): Promise<string> {
  return (await readFile(file, 'utf8')).trim();
}
