/**
 * The desk file: what a real desk is made of (docs/real-desk.md). Its broker, and per board its
 * tags, its console (a stable device path, or a USB serial number) and its power outlet. Every
 * command that works on a simulated desk takes one with `--desk-file`. Paths in it are relative
 * to the file itself, so a desk folder can be moved or checked into git whole.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import * as v from 'valibot';
import { isValidId } from '../../broker/contract/topics.ts';
import { parseYamlFields } from '../locations/yaml-fields.ts';
import { OutletSpecSchema } from './outlet-spec.ts';

const id = v.pipe(v.string(), v.check(isValidId, 'not a valid id (letters, digits, - and _)'));

const ConsoleSchema = v.pipe(v.strictObject({
  /** A path that survives replugging: /dev/serial/by-path/... or /dev/serial/by-id/... */
  path: v.optional(v.pipe(v.string(), v.minLength(1))),
  /** The USB serial number of the adapter (serialport's list: udev's ID_SERIAL_SHORT). */
  serial: v.optional(v.pipe(v.string(), v.minLength(1))),
  baud: v.optional(v.pipe(v.number(), v.integer(), v.minValue(300)), 115200),
  /** The USB hub the adapter hangs off (a key of `hubs`): its boards share its bandwidth. */
  hub: v.optional(id),
}), v.check((c) => (c.path === undefined) !== (c.serial === undefined), 'give exactly one of path or serial'));

const BoardSchema = v.strictObject({
  tags: v.optional(v.array(id), []),
  /** Absent until `desk discover` finds it. */
  console: v.optional(ConsoleSchema),
  power: v.optional(OutletSpecSchema),
  /** The board's U-Boot profile for flashing through U-Boot (a built-in name or a JSON file). */
  uboot: v.optional(v.string()),
});

/** A URL, or a non-empty list of them (a broker cluster's nodes). */
const oneOrMore = (url: v.GenericSchema<string, string>) => v.union([url, v.pipe(v.array(url), v.minLength(1, 'at least one URL'))]);

export const DeskYamlSchema = v.strictObject({
  v: v.literal(1),
  desk: id,
  broker: v.strictObject({
    /** mqtts://host:8883 (or mqtt:// on a trusted LAN); a cluster's nodes as a list, tried in turn. */
    url: oneOrMore(v.pipe(v.string(), v.regex(/^mqtts?:\/\//, 'an mqtt:// or mqtts:// URL'))),
    /** Its WebSocket URL, for the web dashboard's browsers (wss://host:8084/mqtt); a cluster's as a list. */
    ws: v.optional(oneOrMore(v.pipe(v.string(), v.regex(/^wss?:\/\//, 'a ws:// or wss:// URL')))),
    /** The CA an mqtts:// broker's certificate verifies against (the desk broker's tls/ca.pem). */
    ca: v.optional(v.string()),
    /** Files holding each role's password; DESKBOX_PASSWORD stands in for a missing one. */
    passwordFiles: v.optional(v.strictObject({ host: v.optional(v.string()), monitor: v.optional(v.string()) }), {}),
  }),
  hubs: v.optional(v.record(id, v.strictObject({
    /** Boards flashed at once behind this hub (a USB 2.0 hub's 480 Mbit/s is shared, and slow adapters stall each other). */
    parallel: v.pipe(v.number(), v.integer(), v.minValue(1)),
  })), {}),
  boards: v.pipe(v.record(id, BoardSchema), v.check((b) => Object.keys(b).length > 0, 'a desk needs at least one board')),
});
export type DeskYaml = v.InferOutput<typeof DeskYamlSchema>;
/** A desk file as written (defaults left out). */
export type DeskYamlInput = v.InferInput<typeof DeskYamlSchema>;
export type DeskYamlBoard = DeskYaml['boards'][string];

/** A desk file as loaded: relative paths made absolute, and where it came from. */
export interface RealDesk extends DeskYaml {
  file: string;
}

export class DeskYamlError extends Error {
  constructor(readonly file: string, readonly problems: readonly string[]) {
    super(problems.length === 1 ? `desk file ${file}: ${problems[0]}` : `desk file ${file} has ${problems.length} problems:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'DeskYamlError';
  }
}

export function parseDeskYaml(text: string, file: string): RealDesk {
  const parsed = parseYamlFields(DeskYamlSchema, text, 'desk file', '(v:, desk:, broker:, boards:)');
  if (!parsed.ok) throw new DeskYamlError(file, parsed.problems);
  const desk = parsed.value;
  const problems = Object.entries(desk.boards)
    .filter(([, b]) => b.console?.hub !== undefined && !Object.hasOwn(desk.hubs, b.console.hub))
    .map(([name, b]) => `boards.${name}.console.hub: no hub "${b.console!.hub}" under hubs (known: ${Object.keys(desk.hubs).join(', ') || 'none'})`);
  if (problems.length > 0) throw new DeskYamlError(file, problems);
  return withAbsolutePaths(desk, resolve(file));
}

export async function loadDeskYaml(file: string): Promise<RealDesk> {
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => { throw new DeskYamlError(file, [e.code === 'ENOENT' ? 'no such file' : e.message]); });
  return parseDeskYaml(text, file);
}

function withAbsolutePaths(desk: DeskYaml, file: string): RealDesk {
  const here = (p: string | undefined) => (p === undefined ? undefined : resolve(dirname(file), p));
  const files = desk.broker.passwordFiles;
  return {
    ...desk,
    file,
    broker: {
      ...desk.broker,
      ...(desk.broker.ca !== undefined && { ca: here(desk.broker.ca) }),
      passwordFiles: { ...(files.host && { host: here(files.host) }), ...(files.monitor && { monitor: here(files.monitor) }) },
    },
    boards: Object.fromEntries(Object.entries(desk.boards).map(([name, b]) => [name, {
      ...b,
      ...(b.console?.path !== undefined && { console: { ...b.console, path: here(b.console.path) } }),
      ...(b.uboot !== undefined && b.uboot.endsWith('.json') && { uboot: here(b.uboot) }),
      ...(b.power?.driver === 'sim' && b.power.state !== undefined && { power: { ...b.power, state: here(b.power.state) } }),
    }])),
  };
}
