/**
 * An experiment plan (YAML): which boards, which image, how many guests per board and how
 * fast to launch them, what they run, how long to hold, how often boards report, how many
 * repetitions. Validated with a schema; an error names every wrong field and says what each wants.
 */
import { readFile } from 'node:fs/promises';
import * as v from 'valibot';
import { parseYamlFields } from '../locations/yaml-fields.ts';
import { netNameSchema } from '../../broker/contract/commands/net.ts';

/** `problems`: one line per wrong field (`guests.perBoard: ...`), all of them. */
export class PlanError extends Error {
  constructor(readonly file: string, readonly problems: readonly string[]) {
    super(problems.length === 1 ? `plan ${file}: ${problems[0]}` : `plan ${file} has ${problems.length} problems:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'PlanError';
  }
}

/** `30`, `30s`, `2m`, `1h`, `500ms` -> milliseconds. */
export function parseDuration(x: number | string): number | undefined {
  if (typeof x === 'number') return x >= 0 ? x * 1000 : undefined;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(x.trim());
  if (!m) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}

const duration = v.pipe(
  v.union([v.number(), v.string()], 'must be a duration: seconds, or "30s", "2m", "500ms"'),
  v.transform(parseDuration),
  v.number('must be a duration: seconds, or "30s", "2m", "500ms"'),
);
const count = (min: number, max: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));

export const PlanSchema = v.strictObject({
  name: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'must be 1-63 of A-Z a-z 0-9 _ . -')), 'experiment'),
  description: v.optional(v.string()),
  /** `all`, a count, or ids and ranges: `b001-b080,b100`. */
  boards: v.optional(v.union([v.string(), count(1, 100_000)]), 'all'),
  /** A board image to flash first (path, relative to the plan); none: boards keep what they run. */
  image: v.optional(v.nullable(v.string()), null),
  /**
   * Boards of the set that are offline when the run begins: `leave-out` runs without them
   * (run.json and the report name them), `refuse` stops the run before it touches any board.
   */
  offline: v.optional(v.picklist(['leave-out', 'refuse'], 'must be leave-out or refuse'), 'leave-out'),
  /** A topology file (path, relative to the plan) applied before the run; its networks are probed at the end of each hold. */
  topology: v.optional(v.nullable(v.string()), null),
  /** Power-cycle the boards before each repetition, so their boot is measured. */
  reboot: v.optional(v.boolean(), true),
  guests: v.optional(v.strictObject({
    perBoard: count(0, 9999),
    image: v.optional(v.string(), 'busybox'),
    profile: v.optional(v.picklist(['light', 'full']), 'light'),
    /** The workload each guest runs (argv); default: the image's idle command. */
    command: v.optional(v.array(v.string())),
    /** Guest networks of the plan's topology each guest gets an interface on. */
    networks: v.optional(v.array(netNameSchema)),
    /** Guests started per board at each step of the launch ramp, and the time between steps. */
    ramp: v.optional(v.strictObject({ batch: count(1, 9999), every: duration }), { batch: 9999, every: 0 }),
  }), { perBoard: 0, image: 'busybox', profile: 'light', ramp: { batch: 9999, every: 0 } }),
  /** Boards ready and idle this long before the launch: the idle power that joules per guest boot are counted over. */
  idle: v.optional(duration, 5000),
  /** How long to hold once the guests run. */
  hold: v.optional(duration, 30_000),
  /** How often boards report telemetry during the run (seconds). */
  telemetry: v.optional(v.strictObject({ periodS: count(1, 3600) }), { periodS: 1 }),
  repetitions: v.optional(count(1, 1000), 1),
  /**
   * The longest each wait may last. A board that misses one is lost for the rest of the run:
   * `boot` from the power cycle to ready, `launchStep` per step of the ramp, `stop` for its guests to stop.
   */
  timeouts: v.optional(v.strictObject({
    boot: v.optional(duration, '3m'),
    launchStep: v.optional(duration, '2m'),
    stop: v.optional(duration, '1m'),
  }), {}),
});
export type Plan = v.InferOutput<typeof PlanSchema>;

export function parsePlan(text: string, file: string): Plan {
  // Every field has a default, and a list is an object to valibot: `[]` (or an empty file)
  // would pass as a plan that power-cycles every board of the desk; hence the mapping check.
  const parsed = parseYamlFields(PlanSchema, text, 'plan', 'of fields (name:, boards:, guests:, hold: ...; {} for every default)');
  if (!parsed.ok) throw new PlanError(file, parsed.problems);
  return parsed.value;
}

export async function loadPlan(file: string): Promise<{ plan: Plan; text: string }> {
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => { throw new PlanError(file, [e.code === 'ENOENT' ? 'no such file' : e.message]); });
  return { plan: parsePlan(text, file), text };
}
