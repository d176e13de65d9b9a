/**
 * The typed topic -> payload map and the edge codec. Senders encode through `encode` (so a
 * payload that violates the contract never leaves the process) and receivers decode through
 * `decode`, which never throws: it returns the reason a message was refused, for logging.
 */
import * as v from 'valibot';
import type { BoardChannel } from './topics.ts';
import { CommandSchema, EventSchema, ReplySchema, StatusSchema, TelemetrySchema } from './payloads.ts';
import type { BoardEvent, Command, Reply, Status, Telemetry } from './payloads.ts';

export interface BoardPayloads {
  status: Status;
  telemetry: Telemetry;
  events: BoardEvent;
  cmd: Command;
  reply: Reply;
}

const schemas: { [K in BoardChannel]: v.GenericSchema<unknown, BoardPayloads[K]> } = {
  status: StatusSchema,
  telemetry: TelemetrySchema,
  events: EventSchema,
  cmd: CommandSchema,
  reply: ReplySchema,
};

/** Largest payload any edge accepts; bigger ones are refused before parsing. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;

export type Decoded<K extends BoardChannel> = { ok: true; value: BoardPayloads[K] } | { ok: false; reason: string };

export function decode<K extends BoardChannel>(channel: K, payload: Buffer | string): Decoded<K> {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  if (size > MAX_PAYLOAD_BYTES) return { ok: false, reason: `payload of ${size} bytes exceeds ${MAX_PAYLOAD_BYTES}` };
  let json: unknown;
  try {
    json = JSON.parse(payload.toString());
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  if (json && typeof json === 'object' && 'v' in json && json.v !== 1) {
    return { ok: false, reason: `unsupported payload version ${JSON.stringify(json.v)}` };
  }
  const schema: v.GenericSchema<unknown, BoardPayloads[K]> = schemas[channel];
  const parsed = v.safeParse(schema, json);
  if (parsed.success) return { ok: true, value: parsed.output as BoardPayloads[K] };
  return { ok: false, reason: describeIssues(parsed.issues) };
}

/** A JSON payload checked against `schema`, for the desk-wide topics; never throws. */
export function decodeJson<T>(schema: v.GenericSchema<unknown, T>, payload: Buffer | string): { ok: true; value: T } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString());
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  const parsed = v.safeParse(schema, json);
  return parsed.success ? { ok: true, value: parsed.output } : { ok: false, reason: describeIssues(parsed.issues) };
}

/** `field.path: message` of the first problem valibot found: one line a user can act on. */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  const issue = issues[0];
  if (!issue) return 'invalid';
  const where = issue.path?.map((p) => String(p.key)).join('.') || '(root)';
  return `${where}: ${issue.message}`;
}

export class ContractError extends Error {
  constructor(readonly channel: BoardChannel, readonly reason: string) {
    super(`refusing to send an invalid ${channel} payload: ${reason}`);
    this.name = 'ContractError';
  }
}

export function encode<K extends BoardChannel>(channel: K, value: BoardPayloads[K]): string {
  const parsed = v.safeParse(schemas[channel], value);
  if (!parsed.success) throw new ContractError(channel, describeIssues(parsed.issues));
  return JSON.stringify(value);
}
