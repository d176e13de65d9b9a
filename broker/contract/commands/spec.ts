/**
 * What the command catalogue is made of: each op's argument and result schemas and a line
 * saying what it does, plus the schema atoms several ops share.
 */
import * as v from 'valibot';

export interface CommandSpec<A extends v.GenericSchema = v.GenericSchema, R extends v.GenericSchema = v.GenericSchema> {
  /** What the sender gives; the board validates it before its handler runs. */
  args: A;
  /** What an `ok` reply carries; the host validates it before its caller sees it. */
  result: R;
  /** One line for docs and help. */
  summary: string;
  /** The `bad-args` message when the arguments do not fit (default: the first issue, `field: problem`). */
  usage?: string;
}

/** Keeps each spec's own schema types, for the types derived from the catalogue. */
export const command = <A extends v.GenericSchema, R extends v.GenericSchema>(spec: CommandSpec<A, R>): CommandSpec<A, R> => spec;

/** An op that takes no arguments: whatever object it is sent is accepted and ignored. */
export const NoArgsSchema = v.object({});

export const countSchema = v.pipe(v.number(), v.integer(), v.minValue(0));
export const epochMsSchema = v.pipe(v.number(), v.integer(), v.minValue(0));
export const sha256Hex = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits'));
