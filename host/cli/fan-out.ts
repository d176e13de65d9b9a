/**
 * Commands that target boards (`--board b03`, `--all`): one request to each board at once,
 * then a row per board with its result or its error. Shared by `guests` and `image`.
 */
import type { Command } from 'commander';
import Table from 'cli-table3';
import { resolveAccess, type DeskAccess } from '../client/access.ts';
import { connectToDesk } from '../client/connect.ts';
import { createRequester, ResultError } from '../client/request.ts';
import { resolveBoards } from '../client/desk-boards.ts';
import type { CommandArgs, CommandOp, CommandReply, CommandResult } from '../../broker/contract/commands/index.ts';
import { accessOptions, sayLeftOut, selectionOptions, type AccessOptions } from './options.ts';
import { printJson } from './run.ts';

export interface Targeting extends AccessOptions {
  boards?: string;
  board?: string[];
  all?: boolean;
  json?: boolean;
}

/** A board's answer, or why there is none: no reply in time (`timeout`), a result that breaks the contract (`bad-result`). */
export type Outcome<Op extends CommandOp> =
  | { board: string; reply: CommandReply<Op> }
  | { board: string; error: { code: 'timeout' | 'bad-result'; message: string } };

/** The targeting options, on top of the desk access ones. */
export function targeted(cmd: Command): Command {
  return selectionOptions(accessOptions(cmd))
    .option('--boards <set>', 'board set: all, a count, ids and ranges (b001-b080,b100), tags (tag:rack1)')
    .option('--board <ids...>', 'board ids (repeat, or comma-separated)')
    .option('--all', 'every board of the desk (same as --boards all)')
    .option('--json', 'print JSON');
}

/** The board set the options name: `--boards`, else `--all`, else the `--board` list. */
export function boardSetOf(opts: Targeting): string {
  if (opts.boards) return opts.boards;
  if (opts.all) return 'all';
  const boards = (opts.board ?? []).flatMap((b) => b.split(',')).map((b) => b.trim()).filter(Boolean);
  if (boards.length === 0) throw new Error('say which boards: --boards b01-b04 (ranges, lists, tag:name, all), or --board b03');
  return boards.join(',');
}

/**
 * Sends one request to each board at once and collects every answer, timeouts included.
 * `access`: when the caller already resolved it (to serve a file at the broker's address).
 */
export async function fanOut<Op extends CommandOp>(opts: Targeting, op: Op, args: CommandArgs<Op>, timeoutMs: number, access?: DeskAccess): Promise<Outcome<Op>[]> {
  const desk = access ?? await resolveAccess(opts, 'host');
  const spec = boardSetOf(opts);
  const client = await connectToDesk(desk, op.split('.')[0] ?? 'cli');
  try {
    const { boards, leftOut } = await resolveBoards(spec, desk, client, opts);
    sayLeftOut(leftOut);
    const request = createRequester(client, desk.desk);
    return await Promise.all(boards.map((board) => request(board, op, args, timeoutMs).then(
      (reply): Outcome<Op> => ({ board, reply }),
      (err: Error): Outcome<Op> => ({ board, error: { code: err instanceof ResultError ? 'bad-result' : 'timeout', message: err.message } }),
    )));
  } finally {
    await client.endAsync();
  }
}

/** Prints a row per board (`row` may give several, e.g. one per image) and fails the exit code if any board failed. */
export function report<Op extends CommandOp>(outcomes: Outcome<Op>[], json: boolean | undefined, row: (result: CommandResult<Op>) => string[] | string[][], head: string[]): void {
  const failed = outcomes.filter((o) => !('reply' in o) || !o.reply.ok);
  if (json) printJson(outcomes.map((o) => ({ board: o.board, ...('reply' in o ? o.reply : { ok: false, error: o.error }) })));
  else {
    const table = new Table({ head: ['board', ...head], style: { head: [], border: [] } });
    for (const o of outcomes) {
      if ('reply' in o && o.reply.ok) {
        const cells = row(o.reply.result);
        const rows = cells.length > 0 && Array.isArray(cells[0]) ? (cells as string[][]) : [cells as string[]];
        for (const r of rows) table.push([o.board, ...r]);
      } else {
        const why = 'reply' in o ? (o.reply.ok ? '' : `${o.reply.error.code}: ${o.reply.error.message}`) : o.error.message;
        table.push([o.board, { colSpan: head.length, content: `error: ${why}` }]);
      }
    }
    process.stdout.write(`${table.toString()}\n`);
  }
  if (failed.length) process.exitCode = 1;
}
