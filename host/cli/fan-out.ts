/**
 * Commands that target boards (`--boards b03`, `--boards all`): one request to each board at once,
 * then a row per board with its result or its error. Shared by `guests` and `image`.
 */
import type { Command } from 'commander';
import type { MqttClient } from 'mqtt';
import Table from 'cli-table3';
import { resolveAccess, type DeskAccess } from '../client/access.ts';
import { connectToDesk } from '../client/connect.ts';
import { createRequester, ResultError } from '../client/request.ts';
import { resolveBoards } from '../client/desk-boards.ts';
import type { CommandArgs, CommandOp, CommandReply, CommandResult } from '../../broker/contract/commands/index.ts';
import { accessOptions, retiredBoardOptions, sayLeftOut, selectionOptions, type AccessOptions } from './options.ts';
import { printJson } from './run.ts';

export interface Targeting extends AccessOptions {
  boards?: string;
  json?: boolean;
}

/** A board's answer, or why there is none: no reply in time (`timeout`), a result that breaks the contract (`bad-result`). */
export type Outcome<Op extends CommandOp> =
  | { board: string; reply: CommandReply<Op> }
  | { board: string; error: { code: 'timeout' | 'bad-result'; message: string } };

/** The targeting options, on top of the desk access ones. */
export function targeted(cmd: Command): Command {
  // Checked after the retired spellings, so `--all` hears what to write instead of "--boards missing".
  return retiredBoardOptions(selectionOptions(accessOptions(cmd)))
    .option('--boards <set>', 'board set: all, a count, ids and ranges (b001-b080,b100), tags (tag:rack1)')
    .option('--json', 'print JSON')
    .hook('preAction', (self) => {
      if (self.opts().boards === undefined) self.error('error: say which boards: --boards <set> (all, b03, b01-b04, tag:<name>)', { exitCode: 2, code: 'deskbox.noBoards' });
    });
}

/** What a command watches while its boards work (e.g. `guests start`'s progress). */
export interface FanOutWatch<Op extends CommandOp> {
  answered(outcome: Outcome<Op>): void;
  stop(): Promise<void>;
}

export interface FanOutExtras<Op extends CommandOp> {
  /** The desk, when the caller already resolved it (to serve a file at the broker's address). */
  access?: DeskAccess;
  /** Started once the boards are known, before any request goes out; stopped when all answered. */
  watch?: (client: MqttClient, desk: string, boards: string[]) => Promise<FanOutWatch<Op>>;
}

/** Sends one request to each board at once and collects every answer, timeouts included. */
export async function fanOut<Op extends CommandOp>(opts: Targeting, op: Op, args: CommandArgs<Op>, timeoutMs: number, extras: FanOutExtras<Op> = {}): Promise<Outcome<Op>[]> {
  const desk = extras.access ?? await resolveAccess(opts, 'host');
  const client = await connectToDesk(desk, op.split('.')[0] ?? 'cli');
  try {
    const { boards, leftOut } = await resolveBoards(opts.boards!, desk, client, opts);
    sayLeftOut(leftOut);
    const watch = await extras.watch?.(client, desk.desk, boards);
    const request = createRequester(client, desk.desk);
    try {
      return await Promise.all(boards.map((board) => request(board, op, args, timeoutMs).then(
        (reply): Outcome<Op> => ({ board, reply }),
        (err: Error): Outcome<Op> => ({ board, error: { code: err instanceof ResultError ? 'bad-result' : 'timeout', message: err.message } }),
      ).then((outcome) => {
        watch?.answered(outcome);
        return outcome;
      })));
    } finally {
      await watch?.stop();
    }
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
