/** `deskbox guests start|stop|ls`: guests on one board, several, or all, with a result per board. */
import type { Command } from 'commander';
import type { CommandArgs, CommandResult } from '../../broker/contract/commands/index.ts';
import { fanOut, report, targeted, type Targeting } from './fan-out.ts';
import { action } from './run.ts';
import { phaseBars } from './phase-bars.ts';
import { followGuestStarts } from './guests-progress.ts';

type BootMs = CommandResult<'guests.start'>['bootMs'];

const ms = (b: BootMs | undefined) => (b ? `${b.p50} / ${b.p95} / ${b.max}` : '-');

export function registerGuests(program: Command): void {
  const guests = program.command('guests').description('boot, stop and list guest containers on boards');

  targeted(guests.command('start'))
    .description('boot more guests on each board and wait until they signal ready')
    .requiredOption('--count <n>', 'guests to add on each board', (x) => Number(x))
    .option('--image <name>', 'guest image', 'busybox')
    .option('--profile <name>', 'light (fewer namespaces and mounts) or full isolation')
    .option('--cmd <shell>', 'workload inside each guest, run by the image\'s `sh -c` (default: sleep)')
    .option('--wait <s>', 'seconds to wait for guests to be ready', (x) => Number(x), 60)
    .option('--network <names>', 'guest networks (net apply set them up) each new guest gets an interface and an address on: lan1[,lan2]')
    // The boards check the arguments (an unknown profile is their bad-args).
    .action(action(async (o: Targeting & { count: number; image: string; profile?: CommandArgs<'guests.start'>['profile']; cmd?: string; wait: number; network?: string }) => {
      const networks = o.network?.split(',').map((n) => n.trim()).filter(Boolean);
      const args = { count: o.count, image: o.image, waitS: o.wait, ...(o.profile ? { profile: o.profile } : {}), ...(o.cmd ? { cmd: ['/bin/sh', '-c', o.cmd] } : {}), ...(networks?.length ? { networks } : {}) };
      // A bar on a terminal, one line at the end otherwise; none with --json.
      const progress = phaseBars(o.json ? 'none' : process.stderr.isTTY ? 'bars' : 'lines');
      const outcomes = await fanOut(o, 'guests.start', args, (o.wait + 15) * 1000, {
        watch: async (client, desk, boards) => {
          const follow = await followGuestStarts(client, desk, boards, o.count, progress);
          return {
            answered: (r) => follow.answered(r.board, 'reply' in r && r.reply.ok ? r.reply.result.ready + r.reply.result.failed.length : 0),
            stop: follow.stop,
          };
        },
      });
      report(outcomes, o.json, (r) => [String(r.requested), String(r.ready), String(r.failed.length) + (r.failed[0] ? ` (${r.failed[0].error})` : ''), `${r.elapsedMs}`, ms(r.bootMs), r.board.runtime ?? '-'],
        ['asked', 'ready', 'failed', 'took ms', 'boot ms p50/p95/max', 'runtime']);
    }));

  targeted(guests.command('stop'))
    .description('stop the last N guests on each board, or all of them')
    .option('--count <n>', 'how many (the most recently started go first)', (x) => Number(x))
    .action(action(async (o: Targeting & { count?: number }) => {
      const outcomes = await fanOut(o, 'guests.stop', o.count ? { count: o.count } : { all: true }, 120_000);
      report(outcomes, o.json, (r) => [String(r.stopped), String(r.board.running)], ['stopped', 'still running']);
    }));

  targeted(guests.command('ls'))
    .description('list the guests on each board')
    .action(action(async (o: Targeting) => {
      const outcomes = await fanOut(o, 'guests.ls', {}, 10_000);
      report(outcomes, o.json, (r) => [r.board.runtime ?? '-', String(r.board.running), String(r.board.ready ?? '-'), String(r.board.failed), ms(r.board.bootMs)],
        ['runtime', 'running', 'ready', 'failed', 'boot ms p50/p95/max']);
    }));
}
