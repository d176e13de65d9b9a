/**
 * What a desk file says about a board's power outlet, per driver (docs/power.md). Defaults are
 * filled in here, so drivers read plain numbers.
 */
import * as v from 'valibot';
import { ROOT, DISCOVERY_ROOT } from '../../broker/contract/topics.ts';

export const DEFAULT_OFF_MS = 2000;
export const DEFAULT_TIMEOUT_MS = 5000;

const ms = (fallback: number) => v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(600_000)), fallback);

/**
 * One MQTT topic level the broker lets the host command and the outlet use (broker/policy.ts):
 * no separators or wildcards, not `$`, not the desk's own trees.
 */
const topicLevel = v.pipe(
  v.string(),
  v.regex(/^[^/+#$\s\u0000][^/+#\s\u0000]{0,127}$/, 'must be one MQTT topic level: no "/", "+", "#", spaces, or leading "$"'),
  v.check((s) => s !== ROOT && s !== DISCOVERY_ROOT, `must not be "${ROOT}" or "${DISCOVERY_ROOT}" (the desk's own topics)`),
);

const TasmotaSpec = v.object({
  driver: v.literal('tasmota'),
  /** The device's Topic (Tasmota console: `Topic`). */
  topic: topicLevel,
  relay: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(32)), 1),
  timeoutMs: ms(DEFAULT_TIMEOUT_MS),
  offMs: ms(DEFAULT_OFF_MS),
});

const ShellySpec = v.object({
  driver: v.literal('shelly'),
  /** The device's MQTT topic prefix (Gen2 default: its device id, e.g. shellyplus1pm-a8032ab12345). */
  prefix: topicLevel,
  switch: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(15)), 0),
  timeoutMs: ms(DEFAULT_TIMEOUT_MS),
  offMs: ms(DEFAULT_OFF_MS),
});

const GpioSpec = v.object({
  driver: v.literal('gpio'),
  /** Kernel GPIO number on the desk computer (sysfs numbering, chip base included). */
  line: v.pipe(v.number(), v.integer(), v.minValue(0)),
  activeLow: v.optional(v.boolean(), false),
  offMs: ms(DEFAULT_OFF_MS),
});

const UhubctlSpec = v.object({
  driver: v.literal('uhubctl'),
  /** The hub as uhubctl names it (`-l`): bus-port chain, e.g. "1-1.4". */
  location: v.pipe(v.string(), v.regex(/^\d+-\d+(\.\d+)*$/, 'must be a hub location like "1-1.4" (see `uhubctl` output)')),
  port: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(255)),
  offMs: ms(DEFAULT_OFF_MS),
});

const ManualSpec = v.object({
  driver: v.literal('manual'),
  offMs: ms(DEFAULT_OFF_MS),
  /** How long switching on waits for the console to show a boot. */
  bootTimeoutMs: ms(120_000),
});

const SimSpec = v.object({
  driver: v.literal('sim'),
  board: v.pipe(v.string(), v.minLength(1)),
  /** The simulated desk's state folder (default: the command's --state). */
  state: v.optional(v.string()),
});

const DRIVERS = ['tasmota', 'shelly', 'gpio', 'uhubctl', 'manual', 'sim'] as const;

export const OutletSpecSchema = v.variant(
  'driver',
  [TasmotaSpec, ShellySpec, GpioSpec, UhubctlSpec, ManualSpec, SimSpec],
  (issue) => `unknown power driver ${issue.received} (one of ${DRIVERS.join(', ')})`,
);

export type OutletSpecInput = v.InferInput<typeof OutletSpecSchema>;
export type OutletSpec = v.InferOutput<typeof OutletSpecSchema>;
export type SpecOf<D extends OutletSpec['driver']> = Extract<OutletSpec, { driver: D }>;

/** Throws valibot's ValiError, whose issues say which field is wrong. */
export function parseOutletSpec(raw: unknown): OutletSpec {
  return v.parse(OutletSpecSchema, raw);
}
