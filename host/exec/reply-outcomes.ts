/**
 * A board's answer to `exec` as outcomes to group: one for the board, or one per guest with
 * `--guests`. What the board said is validated, so an old agent or a garbled reply becomes a
 * failure that says so, not a crash or a silent gap.
 */
import * as v from 'valibot';
import { describeIssues } from '../../broker/contract/messages.ts';
import type { Reply } from '../../broker/contract/payloads.ts';
import { ExecResultSchema, GuestsExecResultSchema } from '../../broker/contract/exec.ts';
import { RequestTimeoutError } from '../client/request.ts';
import type { ExecOutcome } from './group-replies.ts';

export function outcomesOfReply(board: string, reply: Reply, guests: boolean): ExecOutcome[] {
  if (!reply.ok) return [{ target: board, failure: `${reply.error.code}: ${reply.error.message}` }];
  if (!guests) {
    const r = v.safeParse(ExecResultSchema, reply.result);
    return [r.success ? { target: board, result: r.output } : { target: board, failure: `unexpected exec result: ${describeIssues(r.issues)}` }];
  }
  const r = v.safeParse(GuestsExecResultSchema, reply.result);
  if (!r.success) return [{ target: board, failure: `unexpected exec result: ${describeIssues(r.issues)}` }];
  if (r.output.guests.length === 0) return [{ target: board, failure: 'no guest running' }];
  return r.output.guests.map(({ id, ...result }) => ({ target: id, result }));
}

/** A request that got no reply: the host gave up waiting, or could not even send it. */
export function noReply(board: string, err: Error): ExecOutcome {
  if (err instanceof RequestTimeoutError) return { target: board, failure: `no reply within ${Math.round(err.waitedMs / 1000)} s` };
  return { target: board, failure: `request failed: ${err.message}` };
}
