/**
 * The typed topic -> payload map and the edge codec. Senders encode through `encode` (so a
 * payload that violates the contract never leaves the process) and receivers decode through
 * `decode`, which never throws: it returns the reason a message was refused, for logging.
 */
import * as v from 'valibot';
import type { JsonChannel } from './topics.ts';
import { CommandSchema, EventSchema, ReplySchema, StatusSchema, TelemetrySchema } from './payloads.ts';
import type { BoardEvent, Command, Reply, Status, Telemetry } from './payloads.ts';
import { BoardVerdictSchema, HealthReportSchema, type HealthReport } from './health.ts';

export interface BoardPayloads {
  status: Status;
  telemetry: Telemetry;
  events: BoardEvent;
  health: HealthReport;
  cmd: Command;
  reply: Reply;
}

const schemas: { [K in JsonChannel]: v.GenericSchema<unknown, BoardPayloads[K]> } = {
  status: StatusSchema,
  telemetry: TelemetrySchema,
  events: EventSchema,
  health: HealthReportSchema,
  cmd: CommandSchema,
  reply: ReplySchema,
};

/** Largest payload any edge accepts; bigger ones are refused before parsing. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;

/** Why `decode` refused a payload, for counting: the reason text says more. */
export const DECODE_PROBLEMS = ['too-large', 'not-json', 'version', 'schema'] as const;
export type DecodeProblem = (typeof DECODE_PROBLEMS)[number];

export type Decoded<K extends JsonChannel> = { ok: true; value: BoardPayloads[K] } | { ok: false; problem: DecodeProblem; reason: string };

/**
 * Takes bytes as any MQTT client gives them (a Buffer in Node, a Uint8Array in a browser: the
 * dashboard runs this same code). The reason never quotes the payload: rejected messages are
 * logged and shown, and a payload may carry anything, secrets included.
 */
export function decode<K extends JsonChannel>(channel: K, payload: Uint8Array | string): Decoded<K> {
  const size = typeof payload === 'string' ? new TextEncoder().encode(payload).byteLength : payload.byteLength;
  if (size > MAX_PAYLOAD_BYTES) return { ok: false, problem: 'too-large', reason: `payload of ${size} bytes exceeds ${MAX_PAYLOAD_BYTES}` };
  let json: unknown;
  try {
    json = JSON.parse(typeof payload === 'string' ? payload : new TextDecoder().decode(payload));
  } catch {
    // V8's message quotes the text around the error: not for logs.
    return { ok: false, problem: 'not-json', reason: `not JSON (${size} bytes)` };
  }
  if (json && typeof json === 'object' && 'v' in json && json.v !== 1) {
    const seen = typeof json.v === 'number' ? String(json.v) : typeof json.v;
    return { ok: false, problem: 'version', reason: `unsupported payload version ${seen}` };
  }
  const schema: v.GenericSchema<unknown, BoardPayloads[K]> = schemas[channel];
  const parsed = v.safeParse(schema, json);
  if (parsed.success) return { ok: true, value: parsed.output as BoardPayloads[K] };
  return { ok: false, problem: 'schema', reason: describeWithoutValues(parsed.issues) };
}

/** A JSON payload checked against `schema`, for the desk-wide topics; never throws. */
export function decodeJson<T>(schema: v.GenericSchema<unknown, T>, payload: Uint8Array | string): { ok: true; value: T } | { ok: false; problem: 'not-json' | 'schema'; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(typeof payload === 'string' ? payload : new TextDecoder().decode(payload));
  } catch (err) {
    return { ok: false, problem: 'not-json', reason: `not JSON: ${(err as Error).message}` };
  }
  const parsed = v.safeParse(schema, json);
  return parsed.success ? { ok: true, value: parsed.output } : { ok: false, problem: 'schema', reason: describeIssues(parsed.issues) };
}

/** The desk's verdict on a board (health.ts); here, as health.ts cannot import this module back. */
export const decodeBoardVerdict = (payload: Uint8Array | string) => decodeJson(BoardVerdictSchema, payload);

/** `field.path: expected what`: the first problem, naming what the schema wants and never what came. */
export function describeWithoutValues(issues: readonly v.BaseIssue<unknown>[]): string {
  const issue = issues[0];
  if (!issue) return 'invalid';
  // `received` is valibot's rendering of the value; only its "nothing there" is safe to repeat.
  const what = issue.received === 'undefined' ? 'missing' : issue.expected ? `expected ${issue.expected}` : `fails ${issue.type}`;
  return `${issuePath(issue)}: ${what}`;
}

/** `field.path: message` of the first problem valibot found: one line a user can act on. */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  const issue = issues[0];
  if (!issue) return 'invalid';
  return `${issuePath(issue)}: ${issue.message}`;
}

function issuePath(issue: v.BaseIssue<unknown>): string {
  return issue.path?.map((p) => String(p.key)).join('.') || '(root)';
}

export class ContractError extends Error {
  constructor(readonly channel: JsonChannel, readonly reason: string) {
    super(`refusing to send an invalid ${channel} payload: ${reason}`);
    this.name = 'ContractError';
  }
}

export function encode<K extends JsonChannel>(channel: K, value: BoardPayloads[K]): string {
  const parsed = v.safeParse(schemas[channel], value);
  if (!parsed.success) throw new ContractError(channel, describeIssues(parsed.issues));
  return JSON.stringify(value);
}
