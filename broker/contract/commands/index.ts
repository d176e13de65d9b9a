/**
 * The command catalogue: every op a board answers (docs/mqtt.md, "cmd and reply"), with the
 * schemas of its arguments and of its result. The board validates arguments with it before
 * a handler runs and dispatches by its keys; the host types its requests by it and validates
 * results with it. Adding an op: its spec in the feature's file here, its handler in the
 * board feature that answers it, its row in docs/mqtt.md (a test holds the table to this).
 */
import type * as v from 'valibot';
import * as valibot from 'valibot';
import { describeIssues } from '../messages.ts';
import type { ErrorCode } from '../payloads.ts';
import { BOARD_COMMANDS } from './board.ts';
import { EXEC_COMMANDS } from './exec.ts';
import { GUEST_COMMANDS } from './guests.ts';
import { IMAGE_COMMANDS } from './images.ts';
import { PUSH_COMMANDS } from './push.ts';
import { NET_COMMANDS } from './net.ts';
import { HEALTH_COMMANDS } from './health.ts';
import type { CommandSpec } from './spec.ts';

export const COMMANDS = {
  ...BOARD_COMMANDS,
  ...GUEST_COMMANDS,
  ...IMAGE_COMMANDS,
  ...PUSH_COMMANDS,
  ...EXEC_COMMANDS,
  ...NET_COMMANDS,
  ...HEALTH_COMMANDS,
} satisfies Record<string, CommandSpec>;

type Catalogue = typeof COMMANDS;
export type CommandOp = keyof Catalogue;
export const COMMAND_OPS = Object.keys(COMMANDS) as CommandOp[];

/** What a sender gives for `Op` (fields with defaults may be left out). */
export type CommandArgsMap = { [Op in CommandOp]: v.InferInput<Catalogue[Op]['args']> };
/** What a board's handler for `Op` gets: validated, defaults filled in. */
export type ParsedArgsMap = { [Op in CommandOp]: v.InferOutput<Catalogue[Op]['args']> };
/** What an `ok` reply to `Op` carries. */
export type CommandResultMap = { [Op in CommandOp]: v.InferOutput<Catalogue[Op]['result']> };

export type CommandArgs<Op extends CommandOp> = CommandArgsMap[Op];
export type ParsedArgs<Op extends CommandOp> = ParsedArgsMap[Op];
export type CommandResult<Op extends CommandOp> = CommandResultMap[Op];

/** A board's answer to `Op`, its result typed: what a host's request resolves with. */
export type CommandReply<Op extends CommandOp> =
  | { ok: true; result: CommandResult<Op> }
  | { ok: false; error: { code: ErrorCode; message: string } };

export function isCommandOp(op: string): op is CommandOp {
  return Object.hasOwn(COMMANDS, op);
}

/** `Op`'s arguments checked, defaults filled in (absent arguments are `{}`); never throws. */
export function parseArgs<Op extends CommandOp>(op: Op, args: unknown): { ok: true; args: ParsedArgs<Op> } | { ok: false; reason: string } {
  const spec: CommandSpec = COMMANDS[op];
  const parsed = valibot.safeParse(spec.args, args ?? {});
  if (parsed.success) return { ok: true, args: parsed.output as ParsedArgs<Op> };
  return { ok: false, reason: spec.usage ?? describeIssues(parsed.issues) };
}

/** An `ok` reply's result checked against `Op`'s result schema; never throws. */
export function decodeResult<Op extends CommandOp>(op: Op, result: unknown): { ok: true; value: CommandResult<Op> } | { ok: false; reason: string } {
  const spec: CommandSpec = COMMANDS[op];
  const parsed = valibot.safeParse(spec.result, result);
  return parsed.success ? { ok: true, value: parsed.output as CommandResult<Op> } : { ok: false, reason: describeIssues(parsed.issues) };
}
