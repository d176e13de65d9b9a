/**
 * `deskbox push <file> <dest> --boards <set>`: one file to many boards (docs/push.md). MQTT
 * carries only the requests; the bytes go over HTTP down a tree, from this computer to the
 * first `--fanout` boards and from each board that has the verified file to the next ones.
 */
import type { Command } from 'commander';
import { resolveAccess } from '../client/access.ts';
import { connectToDesk } from '../client/connect.ts';
import { resolveBoards } from '../client/desk-boards.ts';
import { createRequester } from '../client/request.ts';
import { buildPushManifest } from '../push/build-manifest.ts';
import { executePlan, finishPush } from '../push/execute.ts';
import { planTree } from '../push/plan.ts';
import { pushProgress, pushReport, reportText } from '../push/report.ts';
import { servePushFile } from '../push/serve-file.ts';
import { accessOptions, sayLeftOut, selectionOptions, type AccessOptions } from './options.ts';
import { action, printJson } from './run.ts';

interface PushOptions extends AccessOptions {
  boards: string;
  fanout: number;
  serveHost?: string;
  timeout?: number;
  json?: boolean;
}

const BOARD = '{board}';

/** A board's wait: a minute, plus two seconds a MiB (a slow board at the bottom of a deep tree). */
const defaultTimeoutMs = (size: number) => 60_000 + Math.ceil(size / (1 << 20)) * 2000;

export function registerPush(program: Command): void {
  selectionOptions(accessOptions(program.command('push')))
    .description('send a file to many boards: fanned out board to board over HTTP, every chunk verified, resumable')
    .argument('<file>', 'the file to send')
    .argument('<dest>', `absolute path on each board; ${BOARD} is replaced by the board's id`)
    .requiredOption('--boards <set>', 'board set: all, a count, ids and ranges (b001-b080,b100), tags (tag:rack1)')
    .option('--fanout <k>', 'boards each source feeds (the host included)', (x) => Number(x), 4)
    .option('--serve-host <addr>', 'address the boards reach this computer at (default: the broker\'s host)')
    .option('--timeout <s>', 'seconds to wait for each board (default: 60 + 2 per MiB)', (x) => Number(x))
    .option('--json', 'print the result as JSON')
    .action(action(async (file: string, dest: string, o: PushOptions) => {
      if (!dest.startsWith('/')) throw new Error(`<dest> must be an absolute path on the boards, not ${dest}`);
      const access = await resolveAccess(o, 'host');
      const client = await connectToDesk(access, 'push');
      try {
        const { boards, leftOut } = await resolveBoards(o.boards, access, client, o);
        sayLeftOut(leftOut);
        // A simulated desk's boards share this machine's disk: one dest would be written by all.
        if (!o.broker && boards.length > 1 && !dest.includes(BOARD)) {
          throw new Error(`the simulated desk's boards share one disk: put ${BOARD} in <dest> (e.g. /tmp/push/${BOARD}/file)`);
        }
        const plan = planTree(boards, o.fanout);
        const manifest = await buildPushManifest(file, dest);
        const served = await servePushFile(file, o.serveHost ?? new URL(access.url).hostname);
        const request = createRequester(client, access.desk);
        const progress = pushProgress(boards.length, !o.json && process.stderr.isTTY, served.bytesSent);
        const started = Date.now();
        try {
          const outcomes = await executePlan({
            plan, manifest, hostUrl: served.url, request,
            destFor: (board) => dest.replaceAll(BOARD, board),
            timeoutMs: o.timeout ? o.timeout * 1000 : defaultTimeoutMs(manifest.size),
            onSettled: progress.settled,
          });
          const elapsedMs = Date.now() - started;
          progress.stop();
          const servedByBoards = await finishPush(boards, manifest.id, request);
          const report = pushReport({ file, dest, manifest, fanout: o.fanout, hostBytes: served.bytesSent(), elapsedMs }, outcomes, servedByBoards);
          if (o.json) printJson(report);
          else process.stdout.write(reportText(report));
          if (!report.ok) process.exitCode = 1;
        } finally {
          progress.stop();
          await served.close();
        }
      } finally {
        await client.endAsync();
      }
    }));
}
