/**
 * `deskbox exec <boards> -- <command...>`: one command on many boards (or in all their
 * guests) at once; identical replies are printed once with the boards that gave them, and
 * every board that failed, timed out or never answered is named.
 */
import { InvalidArgumentError, type Command } from 'commander';
import cliProgress from 'cli-progress';
import { EXEC_DEFAULT_TIMEOUT_S, EXEC_MAX_TIMEOUT_S } from '../../broker/contract/commands/exec.ts';
import { resolveAccess } from '../client/access.ts';
import { connectToDesk } from '../client/connect.ts';
import { readOfflineBoards, resolveBoards } from '../client/desk-boards.ts';
import { createRequester } from '../client/request.ts';
import { groupReplies, type ExecOutcome } from '../exec/group-replies.ts';
import { renderJson, renderText } from '../exec/render-groups.ts';
import { noReply, offlineOutcome, outcomesOfReply } from '../exec/reply-outcomes.ts';
import { accessOptions, sayLeftOut, selectionOptions, type AccessOptions } from './options.ts';
import { action, printJson } from './run.ts';

interface ExecOptions extends AccessOptions {
  boards?: string;
  guests?: boolean;
  timeout: number;
  json?: boolean;
}

/** The board's own deadline, its kill and the reply's way back all fit in this. */
const REPLY_MARGIN_MS = 5000;

function seconds(text: string): number {
  const s = Number(text);
  if (!(s >= 0.1 && s <= EXEC_MAX_TIMEOUT_S)) throw new InvalidArgumentError(`seconds from 0.1 to ${EXEC_MAX_TIMEOUT_S}`);
  return s;
}

/** Replies in out of boards asked, on stderr; nothing unless it is a terminal. */
function replyProgress(total: number, enabled: boolean) {
  if (!enabled) return { tick: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar({ format: 'exec |{bar}| {value}/{total} boards answered', hideCursor: true, stream: process.stderr, clearOnComplete: true },
    cliProgress.Presets.shades_classic);
  bar.start(total, 0);
  return { tick: () => bar.increment(), stop: () => bar.stop() };
}

export function registerExec(program: Command): void {
  selectionOptions(accessOptions(program.command('exec')))
    .description('run a command on a set of boards (or in all their guests) and print the replies grouped')
    .usage('[options] <boards> -- <command...>')
    .argument('[boards]', 'board set: all, a count, ids and ranges (b001-b080,b100), tags (tag:rack1)')
    .argument('[command...]', 'the command and its arguments, after `--`; no shell unless you run one (sh -c \'...\')')
    .option('--boards <set>', 'the board set as an option, like other commands (then every argument is the command)')
    .option('--guests', 'run it inside every running guest of each board instead')
    .option('--timeout <s>', `seconds the command may run on a board (with --guests, for all of the board's guests; max ${EXEC_MAX_TIMEOUT_S})`, seconds, EXEC_DEFAULT_TIMEOUT_S)
    .option('--json', 'print the groups as JSON')
    .addHelpText('after', '\nExamples:\n  deskbox exec all -- uname -a\n  deskbox exec b001-b080,b100 --timeout 30 -- sh -c \'df -h / | tail -1\'\n  deskbox exec tag:rack1 --guests -- cat /etc/hostname\n\nExit code 1 if any board or guest failed, timed out or did not answer. A board whose retained status says offline is not asked (and counts as failed).')
    .action(action(async (first: string | undefined, rest: string[], o: ExecOptions) => {
      const [spec, argv] = o.boards ? [o.boards, first === undefined ? [] : [first, ...rest]] : [first, rest];
      if (spec === undefined || argv.length === 0) throw new Error('say where and what: deskbox exec <boards> -- <command...> (see --help)');
      const access = await resolveAccess(o, 'host');
      const client = await connectToDesk(access, 'exec');
      try {
        const { boards, leftOut } = await resolveBoards(spec, access, client, o);
        sayLeftOut(leftOut);
        // A board whose retained status says offline would only be waited for until the timeout.
        const offline = await readOfflineBoards(access, client, boards);
        const asked = boards.filter((b) => !offline.has(b));
        const request = createRequester(client, access.desk, { allBoards: true });
        const waitMs = o.timeout * 1000 + REPLY_MARGIN_MS;
        const args = { argv, timeoutS: o.timeout, guests: o.guests ?? false };
        const progress = replyProgress(asked.length, !o.json && process.stderr.isTTY);
        let outcomes: ExecOutcome[];
        try {
          const perBoard = await Promise.all(asked.map((board) => request(board, 'exec', args, waitMs).then(
            (reply) => outcomesOfReply(board, reply, args.guests),
            (err: Error) => [noReply(board, err)],
          ).finally(progress.tick)));
          outcomes = [...perBoard.flat(), ...[...offline.values()].map(offlineOutcome)];
        } finally {
          progress.stop();
        }
        const grouped = groupReplies(outcomes);
        const ctx = { guests: args.guests, boards };
        if (o.json) printJson(renderJson(grouped, ctx));
        else process.stdout.write(renderText(grouped, ctx));
        if (grouped.failed.length > 0) process.exitCode = 1;
      } finally {
        await client.endAsync();
      }
    }));
}
