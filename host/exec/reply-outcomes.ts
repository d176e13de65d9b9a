/**
 * A board's answer to `exec` as outcomes to group: one for the board, or one per guest with
 * `--guests`. The request checked the result against the catalogue, so an old agent or a
 * garbled reply is a failure that says so (ResultError), not a crash or a silent gap.
 */
import type { CommandReply } from '../../broker/contract/commands/index.ts';
import { RequestTimeoutError, ResultError } from '../client/request.ts';
import type { OfflineBoard } from '../client/desk-boards.ts';
import type { ExecOutcome } from './group-replies.ts';

export function outcomesOfReply(board: string, reply: CommandReply<'exec'>, guests: boolean): ExecOutcome[] {
  if (!reply.ok) return [{ target: board, failure: `${reply.error.code}: ${reply.error.message}` }];
  const { result } = reply;
  if (!('guests' in result)) return [guests ? { target: board, failure: 'unexpected exec result: one result, not one per guest' } : { target: board, result }];
  if (!guests) return [{ target: board, failure: 'unexpected exec result: one result per guest, not one for the board' }];
  if (result.guests.length === 0) return [{ target: board, failure: 'no guest running' }];
  return result.guests.map(({ id, ...r }) => ({ target: id, result: r }));
}

/** A request that got no usable reply: the host gave up waiting, the result broke the contract, or it could not even be sent. */
export function noReply(board: string, err: Error): ExecOutcome {
  if (err instanceof RequestTimeoutError) return { target: board, failure: `no reply within ${Math.round(err.waitedMs / 1000)} s` };
  if (err instanceof ResultError) return { target: board, failure: err.message };
  return { target: board, failure: `request failed: ${err.message}` };
}

/** A board not asked at all: its retained status already says it is offline. */
export function offlineOutcome(o: OfflineBoard): ExecOutcome {
  const why = o.reason === 'lastwill' ? 'its connection was lost' : 'it shut down';
  const since = o.at !== undefined ? ` since ${new Date(o.at).toISOString()}` : '';
  return { target: o.board, failure: `offline${since} (${why}): not asked` };
}
