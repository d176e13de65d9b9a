/**
 * Arguments and results of the `exec` command (docs/mqtt.md): the board validates what it is
 * asked, the host validates what it is told, with the same schemas.
 */
import * as v from 'valibot';
import { command, countSchema as count } from './spec.ts';

export const EXEC_DEFAULT_TIMEOUT_S = 10;
export const EXEC_MAX_TIMEOUT_S = 300;

export const ExecArgsSchema = v.strictObject({
  /** Run as is: no shell unless the argv is one (`sh -c '...'`). */
  argv: v.pipe(
    v.array(v.pipe(v.string(), v.maxLength(4096))),
    v.minLength(1, 'must name a program'),
    v.maxLength(256),
    v.check((argv) => argv[0] !== '', 'the program name is empty'),
  ),
  /** For the whole request: with `guests`, guests not reached by then are not started. */
  timeoutS: v.optional(v.pipe(v.number(), v.minValue(0.1), v.maxValue(EXEC_MAX_TIMEOUT_S)), EXEC_DEFAULT_TIMEOUT_S),
  /** Inside every running guest of the board instead of on the board. */
  guests: v.optional(v.boolean(), false),
});
export type ExecArgs = v.InferInput<typeof ExecArgsSchema>;

export const ExecResultSchema = v.object({
  exitCode: v.nullable(v.pipe(v.number(), v.integer())),
  signal: v.nullable(v.string()),
  stdout: v.string(),
  stderr: v.string(),
  /** Some output was left out: past the capture limit, or to keep the reply under 64 KiB. */
  truncated: v.boolean(),
  elapsedMs: count,
  timedOut: v.boolean(),
  /** Why the command did not run at all (no such program, no such guest). */
  error: v.optional(v.string()),
});
export type ExecResult = v.InferOutput<typeof ExecResultSchema>;

export const GuestExecResultSchema = v.object({ id: v.string(), ...ExecResultSchema.entries });
export type GuestExecResult = v.InferOutput<typeof GuestExecResultSchema>;

export const GuestsExecResultSchema = v.object({ guests: v.array(GuestExecResultSchema) });
export type GuestsExecResult = v.InferOutput<typeof GuestsExecResultSchema>;

/**
 * An `exec` reply's result: one result, or one per guest when the request said `guests: true`.
 * Told apart by shape, so a garbled result is refused with what is wrong with it.
 */
export const ExecReplyResultSchema = v.lazy((input: unknown) => (
  typeof input === 'object' && input !== null && 'guests' in input ? GuestsExecResultSchema : ExecResultSchema
));

export const EXEC_COMMANDS = {
  exec: command({
    args: ExecArgsSchema,
    result: ExecReplyResultSchema,
    summary: 'run an argv on the board, or inside each of its running guests, and answer with exit status and output',
  }),
};
