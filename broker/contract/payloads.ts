/**
 * Payload schemas, version 1. Every JSON payload carries `v`; a reader refuses a version it
 * does not know instead of guessing. The schemas are the single source of both the TypeScript
 * types and the runtime validation done at every edge (board, broker, host).
 */
import * as v from 'valibot';

export const PAYLOAD_VERSION = 1;

const version = v.literal(PAYLOAD_VERSION);
const epochMs = v.pipe(v.number(), v.integer(), v.minValue(0));
const finite = v.pipe(v.number(), v.finite());
const nonNegative = v.pipe(v.number(), v.finite(), v.minValue(0));

const ERROR_CODES_LIST = ['bad-request', 'unknown-op', 'bad-args', 'failed', 'busy', 'in-use', 'bad-image', 'expired'] as const;

/** kernel, init and boot-program: boards whose init reports them (QEMU boards: board/boot-timeline.ts). */
export const BOOT_PHASES = ['power-on', 'kernel', 'init', 'boot-program', 'agent-start', 'broker-connected', 'ready'] as const;
export const BootPhaseSchema = v.object({ phase: v.picklist(BOOT_PHASES), at: epochMs });
export type BootPhase = v.InferOutput<typeof BootPhaseSchema>;

export const HardwareSchema = v.object({
  power: v.string(),
  gpio: v.string(),
  console: v.string(),
});

export const OnlineStatusSchema = v.object({
  v: version,
  state: v.literal('online'),
  board: v.string(),
  version: v.string(),
  bootedAt: epochMs,
  uptimeS: nonNegative,
  keepaliveS: v.pipe(v.number(), v.integer(), v.minValue(1)),
  phases: v.array(BootPhaseSchema),
  hardware: v.optional(HardwareSchema),
  /** The board's tags (its config's `tags`): `tag:<name>` in a board set selects them. */
  tags: v.optional(v.array(v.string())),
  /** Which guest runtime the board uses: `crun` (containers) or `process` (no isolation). */
  guestRuntime: v.optional(v.picklist(['crun', 'process'])),
  /** The board image the board booted and its slot (docs/images.md); absent if not booted from a slot. */
  image: v.optional(v.object({
    slot: v.picklist(['a', 'b']),
    name: v.string(),
    version: v.string(),
    sha256: v.string(),
  })),
});

/** The last will: written at connect time, so it can only say who and why. */
export const OfflineStatusSchema = v.object({
  v: version,
  state: v.literal('offline'),
  board: v.string(),
  reason: v.picklist(['lastwill', 'shutdown']),
  at: v.optional(epochMs),
});

export const StatusSchema = v.variant('state', [OnlineStatusSchema, OfflineStatusSchema]);
export type Status = v.InferOutput<typeof StatusSchema>;
export type OnlineStatus = v.InferOutput<typeof OnlineStatusSchema>;

/** Guest boot-time percentiles (nearest rank) over a board's recent boots. */
export const BootMsSchema = v.object({ p50: nonNegative, p95: nonNegative, max: nonNegative, count: nonNegative });

/** Per-board guest figures; per-guest detail goes in batched `guests` events, not here. */
export const GuestsSummarySchema = v.object({
  runtime: v.optional(v.picklist(['crun', 'process'])),
  running: nonNegative,
  ready: v.optional(nonNegative),
  failed: nonNegative,
  bootMs: v.optional(BootMsSchema),
});

export const TelemetrySchema = v.object({
  v: version,
  board: v.string(),
  at: epochMs,
  seq: v.pipe(v.number(), v.integer(), v.minValue(0)),
  uptimeS: nonNegative,
  powerW: nonNegative,
  volts: finite,
  amps: finite,
  energyJ: nonNegative,
  cpu: nonNegative,
  memBytes: nonNegative,
  guests: GuestsSummarySchema,
});
export type Telemetry = v.InferOutput<typeof TelemetrySchema>;

export const EventSchema = v.variant('type', [
  v.object({ v: version, board: v.string(), at: epochMs, type: v.literal('boot-phase'), phase: v.picklist(BOOT_PHASES) }),
  v.object({ v: version, board: v.string(), at: epochMs, type: v.literal('payload-rejected'), topic: v.string(), reason: v.string() }),
  /** A command the board answered with an error, for observers who do not see replies. */
  v.object({ v: version, board: v.string(), at: epochMs, type: v.literal('command-failed'), op: v.string(), code: v.picklist(ERROR_CODES_LIST), message: v.string() }),
  /** Everything that happened to guests since the previous such event (about a second). */
  v.object({
    v: version,
    board: v.string(),
    at: epochMs,
    type: v.literal('guests'),
    booted: v.array(v.object({ id: v.string(), bootMs: nonNegative })),
    exited: v.array(v.object({ id: v.string(), restarts: nonNegative })),
    failed: v.array(v.object({ id: v.string(), error: v.string() })),
  }),
  /** The board's image store changed: images installed, refs removed, blobs collected. */
  v.object({
    v: version,
    board: v.string(),
    at: epochMs,
    type: v.literal('images'),
    installed: v.array(v.object({ name: v.string(), version: v.string(), sha256: v.string(), origin: v.picklist(['install', 'board-image']) })),
    removed: v.array(v.string()),
    collected: v.array(v.string()),
    freedBytes: nonNegative,
  }),
  /** A flash over the serial console began or ended (docs/serial-protocol.md); `ok` ends with a reset into `slot`. */
  v.object({
    v: version,
    board: v.string(),
    at: epochMs,
    type: v.literal('flash'),
    state: v.picklist(['start', 'end']),
    ok: v.optional(v.boolean()),
    slot: v.optional(v.picklist(['a', 'b'])),
    error: v.optional(v.string()),
  }),
]);
export type BoardEvent = v.InferOutput<typeof EventSchema>;

/** `op` is a plain string here so an unknown op still parses and gets an error reply. */
export const CommandSchema = v.object({
  v: version,
  id: v.pipe(v.string(), v.minLength(1), v.maxLength(128)),
  op: v.string(),
  args: v.optional(v.record(v.string(), v.unknown())),
  /**
   * When the sender stops waiting (its clock, ms since the epoch). A board that is offline
   * keeps its commands in its broker session; one that gets this command much later (past
   * the deadline plus a grace for clock skew) answers `expired` and does not run it.
   */
  deadline: v.optional(epochMs),
});
export type Command = v.InferOutput<typeof CommandSchema>;

export const ERROR_CODES = ERROR_CODES_LIST;

export const ReplySchema = v.variant('ok', [
  v.object({ v: version, id: v.nullable(v.string()), ok: v.literal(true), result: v.unknown() }),
  v.object({
    v: version,
    id: v.nullable(v.string()),
    ok: v.literal(false),
    error: v.object({ code: v.picklist(ERROR_CODES), message: v.string() }),
  }),
]);
export type Reply = v.InferOutput<typeof ReplySchema>;
export type ErrorCode = (typeof ERROR_CODES)[number];
