/**
 * A board's configuration file: who it is, where its broker is, and which hardware bindings
 * it uses. On a real board this lives in the image; the simulated desk writes one per board.
 */
import { readFile } from 'node:fs/promises';
import * as v from 'valibot';
// The ESM build: the package's main is a UMD wrapper whose inner require() calls esbuild cannot bundle.
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser/lib/esm/main.js';
import { isValidId } from '../../broker/contract/topics.ts';
import { describeIssues } from '../../broker/contract/messages.ts';
import { ARCHES } from '../../images/format/manifest.ts';
import { guestLimits, ImageDefaultsSchema, seconds } from '../../images/format/board-defaults.ts';

const id = v.pipe(v.string(), v.check(isValidId, 'must be 1-63 of A-Z a-z 0-9 _ . - starting alphanumeric'));

const GuestsSchema = v.object({
  /** `auto`: crun where it and root are available, else plain processes (no isolation). */
  runtime: v.optional(v.picklist(['auto', 'crun', 'process']), 'auto'),
  /** RAM-backed (tmpfs) folder for bundles, runtime state and the readiness FIFO. */
  stateDir: v.string(),
  ...guestLimits,
});
export type GuestsConfig = v.InferOutput<typeof GuestsSchema>;

const NetSchema = v.object({
  /**
   * The named network namespace that is the board's own network (the simulated desk gives each
   * board one on its desk LAN); absent: the agent's own namespace, as on a real board.
   */
  namespace: v.optional(v.string()),
  /** The board's address on the desk LAN: the underlay its VXLAN devices use. */
  lanAddress: v.optional(v.string()),
  /** What the board's own guest and router namespaces are named after (unique per board on one machine). */
  prefix: v.string(),
  /** The applied part of the topology, kept on flash so a rebooted board sets it up again. */
  stateFile: v.string(),
  /**
   * Where the desk says its LAN is made (`{"up": true}` or `{"up": false, "reason"}`): a
   * simulated desk builds it while its boards boot. Absent: nothing to wait for (a real board).
   */
  readyFile: v.optional(v.string()),
});
export type NetConfig = v.InferOutput<typeof NetSchema>;

export const PushConfigSchema = v.object({
  /**
   * Where the peer server listens and what peers are told: 127.0.0.1 suits a simulated desk,
   * whose boards share one machine; a real board needs its LAN address here.
   */
  listenHost: v.optional(v.string(), '127.0.0.1'),
  /** The address peers use, when it differs from listenHost (listening on 0.0.0.0). */
  advertiseHost: v.optional(v.string()),
  /** A pushed file stops being served after this long without a request; push.done stops it at once. */
  idleS: v.optional(seconds(10, 86_400), 600),
});
export type PushConfig = v.InferOutput<typeof PushConfigSchema>;

/** Self-checks when a config says nothing of them. */
export const HEALTH_DEFAULTS = { schedule: '*/10 * * * *', minFreeMemMiB: 32, minFreeStorageMiB: 64 } as const;

export const BoardConfigSchema = v.object({
  v: v.literal(1),
  desk: id,
  board: id,
  broker: v.object({
    url: v.pipe(v.string(), v.regex(/^mqtts?:\/\//, 'must be an mqtt:// or mqtts:// URL')),
    /**
     * Every node of a broker cluster (docs/architecture.md), `url` among them: the agent
     * connects to them in turn and moves to the next when its node is lost. Absent: `url` alone.
     */
    urls: v.optional(v.pipe(v.array(v.pipe(v.string(), v.regex(/^mqtts?:\/\//, 'must be an mqtt:// or mqtts:// URL'))), v.minLength(1))),
    username: v.string(),
    /** Read from a file so the password never appears in argv or a process listing. */
    passwordFile: v.string(),
    /** PEM CA certificate(s) for an mqtts:// broker whose certificate the system's CAs do not vouch for. */
    caFile: v.optional(v.string()),
  }),
  /** Names for groups of boards (`tag:rack1` in a board set); published in the board's status. */
  tags: v.optional(v.array(id), []),
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
  /** Guest networks (docs/networks.md); absent: guests get no network. */
  net: v.optional(NetSchema),
  images: v.optional(v.object({
    /** The content-addressed image store (docs/images.md), on the board's flash. */
    storeDir: v.string(),
    /** Public keys (`ed25519:<base64>`) whose signatures this board accepts. */
    trustedKeys: v.array(v.string()),
    /** What the board's CPU runs; defaults to the agent's own. */
    arch: v.optional(v.picklist(ARCHES)),
    /** Board images name the board type they are for. */
    boardType: v.optional(id, 'sim'),
    /**
     * Guest images unpacked and verified once for many boards (`blobs/` of a store; the
     * simulated desk's). A carried guest found there is linked instead of unpacked, so it is
     * trusted as much as this file: only whoever writes the board's config may name it.
     */
    sharedBlobsDir: v.optional(v.string()),
  })),
  /** The boot program (board-boot.mjs): where it unpacks the booted image. */
  boot: v.optional(v.object({
    /** A RAM (tmpfs) folder; default /run/deskbox/agents. */
    unpackDir: v.optional(v.string()),
    /**
     * A command put in front of the agent's Node (e.g. `["nice", "-n", "5"]`, or qemu-user
     * to try an armv7 image on another machine: it cannot start ARM children by itself).
     */
    launcher: v.optional(v.array(v.string())),
  })),
  /** Written by the boot program before the agent starts: which slot and image it booted. */
  bootInfo: v.optional(v.string()),
  /** The board's flash: A/B slots, boot environment, staging for images arriving over the console. */
  flash: v.optional(v.object({
    dir: v.string(),
    /** A freshly flashed slot must be online and ready this soon, or the board resets (and, after three tries, falls back). */
    confirmTimeoutS: v.optional(seconds(5, 3600), 120),
    /** A raw partition U-Boot writes received images to (board/flash/inbox.ts): taken into a slot at boot. */
    inbox: v.optional(v.string()),
  })),
  /** Serving pushed files to peer boards (docs/push.md); every field has a default. */
  push: v.optional(PushConfigSchema),
  /** Self-checks (board/health/): when they run, and the least free memory and storage that pass. */
  health: v.optional(v.object({
    /** node-cron syntax; every 10 minutes by default. */
    schedule: v.optional(v.string(), HEALTH_DEFAULTS.schedule),
    minFreeMemMiB: v.optional(v.pipe(v.number(), v.minValue(0)), HEALTH_DEFAULTS.minFreeMemMiB),
    minFreeStorageMiB: v.optional(v.pipe(v.number(), v.minValue(0)), HEALTH_DEFAULTS.minFreeStorageMiB),
    /** Where storage is measured (default: the flash folder, else the current one). */
    storageDir: v.optional(v.string()),
  })),
});


export type BoardConfig = v.InferOutput<typeof BoardConfigSchema>;
export type HealthSettings = NonNullable<BoardConfig['health']>;
/** A config file as written: fields with defaults may be left out. */
export type BoardConfigFile = v.InferInput<typeof BoardConfigSchema>;

export class ConfigError extends Error {
  constructor(readonly file: string, reason: string) {
    super(`board config ${file}: ${reason}`);
    this.name = 'ConfigError';
  }
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The board's own values win; objects merge key by key. */
function layer(under: unknown, over: unknown): unknown {
  if (!isPlainObject(under) || !isPlainObject(over)) return over === undefined ? under : over;
  const out: Record<string, unknown> = { ...under };
  for (const [k, val] of Object.entries(over)) out[k] = layer(under[k], val);
  return out;
}

/** 1-based line and column of a character offset, as editors count them. */
function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${before[before.length - 1]!.length + 1}`;
}

/** Config files are JSON with comments (JSONC): a board's file explains itself (board/install/example-config.ts). */
async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, (err as Error).message);
  }
  const errors: ParseError[] = [];
  const json: unknown = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false });
  const first = errors[0];
  if (first) throw new ConfigError(file, `${printParseErrorCode(first.error)} at ${lineColumn(text, first.offset)}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`);
  return json;
}

/** `defaultsFile`: the board defaults of the image the board booted, if it has any. */
export async function loadBoardConfig(file: string, defaultsFile?: string): Promise<BoardConfig> {
  let json = await readJson(file);
  if (defaultsFile) {
    const defaults = v.safeParse(ImageDefaultsSchema, await readJson(defaultsFile));
    if (!defaults.success) throw new ConfigError(defaultsFile, describeIssues(defaults.issues));
    json = layer(defaults.output, json);
  }
  const parsed = v.safeParse(BoardConfigSchema, json);
  if (!parsed.success) throw new ConfigError(file, describeIssues(parsed.issues));
  return parsed.output;
}

export async function readPassword(file: string): Promise<string> {
  return (await readFile(file, 'utf8')).trim();
}
