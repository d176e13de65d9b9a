/**
 * `deskbox schedule`: commands the desk runs by itself on a cron schedule (a simulated desk's
 * supervisor runs them; a real desk runs `schedule serve`, e.g. as a systemd service), kept with
 * every run's outcome in the desk's state folder.
 */
import type { Command } from 'commander';
import Table from 'cli-table3';
import { systemClock } from '../../platform/clock.ts';
import { stderrLogger } from '../../platform/log.ts';
import { deskLayout } from '../locations/layout.ts';
import { cronMatcher } from '../schedule/cron-match.ts';
import { startDeskSchedules } from '../schedule/desk-schedules.ts';
import { ownOptionsAfterCron, ScheduleArgsError } from '../schedule/add-args.ts';
import { openScheduleStore } from '../schedule/store.ts';
import { stateOption } from './options.ts';
import { action, printJson } from './run.ts';

const when = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19));
const withStore = async <T>(state: string, fn: (store: ReturnType<typeof openScheduleStore>) => Promise<T> | T): Promise<T> => {
  const store = openScheduleStore(deskLayout(state).schedulesDb);
  try {
    return await fn(store);
  } finally {
    store.close();
  }
};

export function registerSchedule(program: Command): void {
  const schedule = program.command('schedule').description('commands the desk runs by itself on a cron schedule, and how each run went');

  stateOption(schedule.command('add'))
    .description('run a deskbox command on a schedule: schedule add \'0 2 * * *\' run plans/nightly.yaml')
    .argument('<cron>', 'node-cron expression: 5 fields (minute hour day month weekday), or 6 with seconds first')
    .argument('<command...>', 'the deskbox command and its arguments; after `--` when they use --state or --json')
    .allowUnknownOption()
    .option('--json', 'print JSON')
    .addHelpText('after', `
schedule add's own options go before the cron expression. A command that uses --state or --json
goes after \`--\`, which ends schedule add's options:
  deskbox schedule add --state .desk '*/10 * * * *' -- health check --boards all --json`)
    .action(action(async (cron: string, argv: string[], o: { state: string; json?: boolean }, cmd: Command) => {
      const own = cmd.options.flatMap((opt) => (opt.long ? [{ long: opt.long, takesValue: opt.required || opt.optional }] : []));
      const taken = ownOptionsAfterCron(cmd.parent?.args.slice(1) ?? [], own);
      if (taken.length > 0) {
        // A --json among them was meant for the command: the refusal is said in words, not JSON.
        o.json = undefined;
        throw new ScheduleArgsError(taken);
      }
      cronMatcher(cron).dispose(); // refused here, with why, rather than never run
      const s = await withStore(o.state, (store) => store.add(cron, argv, Date.now()));
      if (o.json) return printJson(s);
      process.stdout.write(`schedule ${s.id}: ${s.cron}  deskbox ${s.argv.join(' ')}\n`);
    }));

  stateOption(schedule.command('ls'))
    .description('the desk\'s schedules and each one\'s last run')
    .option('--json', 'print JSON')
    .action(action(async (o: { state: string; json?: boolean }) => withStore(o.state, (store) => {
      const rows = store.list().map((s) => ({ ...s, last: store.runs(s.id, 1)[0] ?? null }));
      if (o.json) return printJson(rows);
      const table = new Table({ head: ['id', 'cron', 'command', 'last run', 'outcome'], style: { head: [], border: [] } });
      for (const r of rows) table.push([r.id, r.cron, `deskbox ${r.argv.join(' ')}`, when(r.last?.dueAt ?? null), r.last?.outcome ?? '-']);
      process.stdout.write(`${table.toString()}\n`);
    })));

  stateOption(schedule.command('rm'))
    .description('remove a schedule (its runs stay in the record)')
    .argument('<id>', 'schedule id (schedule ls)', (x) => Number(x))
    .action(action(async (id: number, o: { state: string }) => withStore(o.state, (store) => {
      if (!store.remove(id)) throw new Error(`no schedule ${id} (see deskbox schedule ls)`);
      process.stdout.write(`schedule ${id} removed\n`);
    })));

  stateOption(schedule.command('runs'))
    .description('how the runs went: ok, failed (with its last output), skipped (the previous one still going) or missed (the desk was down)')
    .argument('[id]', 'one schedule\'s runs', (x) => Number(x))
    .option('--limit <n>', 'the newest N', (x) => Number(x), 50)
    .option('--json', 'print JSON')
    .action(action(async (id: number | undefined, o: { state: string; limit: number; json?: boolean }) => withStore(o.state, (store) => {
      const runs = store.runs(id, o.limit);
      if (o.json) return printJson(runs);
      for (const r of runs) process.stdout.write(`${when(r.dueAt)}  schedule ${r.schedule}  ${r.outcome}${r.exitCode !== null ? ` (exit ${r.exitCode})` : ''}  ${r.detail.split('\n').at(-1) ?? ''}\n`);
    })));

  stateOption(schedule.command('serve'))
    .description('run the schedules until stopped (a real desk\'s service; a simulated desk\'s supervisor runs them itself)')
    .action(action(async (o: { state: string }) => {
      const schedules = startDeskSchedules({ state: o.state, cli: process.argv[1]!, clock: systemClock(), logger: stderrLogger('schedule') });
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await schedules.stop();
    }));
}
