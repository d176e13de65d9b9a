/** `deskbox guests start|stop|ls`: guests on one board, several, or all, with a result per board. */
import type { Command } from 'commander';
import Table from 'cli-table3';
import { resolveAccess, type DeskAccess } from '../client/access.ts';
import { connectToDesk } from '../client/connect.ts';
import { createRequester } from '../client/request.ts';
import type { Reply } from '../../broker/contract/payloads.ts';
import { accessOptions, type AccessOptions } from './options.ts';
import { action, printJson } from './run.ts';

interface Targeting extends AccessOptions {
  board?: string[];
  all?: boolean;
  json?: boolean;
}

function boardsOf(opts: Targeting, access: DeskAccess): string[] {
  if (opts.all) {
    if (access.boards.length === 0) throw new Error('--all needs a simulated desk (--state) or an explicit --board list');
    return access.boards;
  }
  const boards = (opts.board ?? []).flatMap((b) => b.split(',')).map((b) => b.trim()).filter(Boolean);
  if (boards.length === 0) throw new Error('say which boards: --board b03 (repeatable, or b01,b02) or --all');
  return boards;
}

type Outcome = { board: string; reply?: Reply; error?: string };

/** What boards answer to guests.* (docs/mqtt.md); read, not validated: only printed. */
interface BootMs { p50: number; p95: number; max: number }
interface BoardGuests { runtime: string; running: number; ready?: number; failed: number; bootMs?: BootMs }
interface StartResult { requested: number; ready: number; failed: { id: string; error: string }[]; elapsedMs: number; bootMs: BootMs | null; board: BoardGuests }
interface StopResult { stopped: number; board: BoardGuests }
interface ListResult { board: BoardGuests }

/** Sends one request to each board at once and collects every answer, timeouts included. */
async function fanOut(opts: Targeting, op: string, args: Record<string, unknown>, timeoutMs: number): Promise<Outcome[]> {
  const access = await resolveAccess(opts, 'host');
  const boards = boardsOf(opts, access);
  const client = await connectToDesk(access, 'guests');
  try {
    const request = createRequester(client, access.desk);
    return await Promise.all(boards.map((board) => request(board, op, args, timeoutMs).then(
      (reply): Outcome => ({ board, reply }),
      (err: Error): Outcome => ({ board, error: err.message }),
    )));
  } finally {
    await client.endAsync();
  }
}

function report<R>(outcomes: Outcome[], json: boolean | undefined, row: (result: R) => string[], head: string[]): void {
  const failed = outcomes.filter((o) => o.error || !o.reply?.ok);
  if (json) printJson(outcomes.map((o) => ({ board: o.board, ...(o.reply ? o.reply.ok ? { ok: true, result: o.reply.result } : { ok: false, error: o.reply.error } : { ok: false, error: { code: 'timeout', message: o.error } }) })));
  else {
    const table = new Table({ head: ['board', ...head], style: { head: [], border: [] } });
    for (const o of outcomes) {
      if (o.reply?.ok) table.push([o.board, ...row(o.reply.result as R)]);
      else table.push([o.board, { colSpan: head.length, content: `error: ${o.reply && !o.reply.ok ? `${o.reply.error.code}: ${o.reply.error.message}` : o.error}` }]);
    }
    process.stdout.write(`${table.toString()}\n`);
  }
  if (failed.length) process.exitCode = 1;
}

const ms = (b: BootMs | null | undefined) => (b ? `${b.p50} / ${b.p95} / ${b.max}` : '-');

export function registerGuests(program: Command): void {
  const guests = program.command('guests').description('boot, stop and list guest containers on boards');
  const targeted = (cmd: Command) => accessOptions(cmd)
    .option('--board <ids...>', 'board ids (repeat, or comma-separated)')
    .option('--all', 'every board of the desk')
    .option('--json', 'print JSON');

  targeted(guests.command('start'))
    .description('boot more guests on each board and wait until they signal ready')
    .requiredOption('--count <n>', 'guests to add on each board', (x) => Number(x))
    .option('--image <name>', 'guest image', 'busybox')
    .option('--profile <name>', 'light (fewer namespaces and mounts) or full isolation')
    .option('--cmd <shell>', 'workload inside each guest, run by the image\'s `sh -c` (default: sleep)')
    .option('--wait <s>', 'seconds to wait for guests to be ready', (x) => Number(x), 60)
    .action(action(async (o: Targeting & { count: number; image: string; profile?: string; cmd?: string; wait: number }) => {
      const args = { count: o.count, image: o.image, waitS: o.wait, ...(o.profile ? { profile: o.profile } : {}), ...(o.cmd ? { cmd: ['/bin/sh', '-c', o.cmd] } : {}) };
      const outcomes = await fanOut(o, 'guests.start', args, (o.wait + 15) * 1000);
      report<StartResult>(outcomes, o.json, (r) => [String(r.requested), String(r.ready), String(r.failed.length) + (r.failed[0] ? ` (${r.failed[0].error})` : ''), `${r.elapsedMs}`, ms(r.bootMs), r.board.runtime],
        ['asked', 'ready', 'failed', 'took ms', 'boot ms p50/p95/max', 'runtime']);
    }));

  targeted(guests.command('stop'))
    .description('stop the last N guests on each board, or all of them')
    .option('--count <n>', 'how many (the most recently started go first)', (x) => Number(x))
    .action(action(async (o: Targeting & { count?: number }) => {
      const outcomes = await fanOut(o, 'guests.stop', o.count ? { count: o.count } : { all: true }, 120_000);
      report<StopResult>(outcomes, o.json, (r) => [String(r.stopped), String(r.board.running)], ['stopped', 'still running']);
    }));

  targeted(guests.command('ls'))
    .description('list the guests on each board')
    .action(action(async (o: Targeting) => {
      const outcomes = await fanOut(o, 'guests.ls', {}, 10_000);
      report<ListResult>(outcomes, o.json, (r) => [r.board.runtime, String(r.board.running), String(r.board.ready ?? '-'), String(r.board.failed), ms(r.board.bootMs)],
        ['runtime', 'running', 'ready', 'failed', 'boot ms p50/p95/max']);
    }));
}
