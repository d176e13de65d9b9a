/**
 * `deskbox health`: the desk's verdict on each board (retained on the broker by its health
 * service, host/health/), a board's transitions with their evidence (`health history`, from
 * the desk's record in its state folder), and self-checks run now (`health check`).
 */
import type { Command } from 'commander';
import Table from 'cli-table3';
import { resolveAccess } from '../client/access.ts';
import { connectToDesk } from '../client/connect.ts';
import { readVerdicts } from '../client/desk-boards.ts';
import { describeEvidence } from '../health/evidence.ts';
import { openHealthHistory } from '../health/history.ts';
import { deskLayout } from '../locations/layout.ts';
import { fanOut, report, targeted } from './fan-out.ts';
import { accessOptions, stateOption } from './options.ts';
import { action, printJson } from './run.ts';
import { registerHealthServe } from './health-serve.ts';
import { hostname } from 'node:os';
import { healthRequestTopic, type BoardVerdict } from '../../broker/contract/health.ts';

const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

export function registerHealth(program: Command): void {
  const health = accessOptions(program.command('health'))
    .description('the desk\'s verdict on each board: healthy, suspect, quarantined, recovering or retired, and why')
    .option('--json', 'print JSON')
    .action(action(async (o) => {
      const access = await resolveAccess(o, 'monitor');
      const client = await connectToDesk(access, 'health');
      try {
        const verdicts = await readVerdicts(access, client);
        const boards = access.boards.length > 0 ? access.boards : [...verdicts.keys()].sort();
        const rows = boards.map((b) => verdicts.get(b) ?? { v: 1 as const, board: b, state: 'healthy' as const, since: 0, reason: 'no verdict yet (no health service has judged it)' });
        if (o.json) return printJson(rows);
        const table = new Table({ head: ['board', 'state', 'since', 'why'], style: { head: [], border: [] } });
        for (const v of rows) table.push([v.board, v.state, v.since ? when(v.since) : '-', v.reason]);
        process.stdout.write(`${table.toString()}\n`);
      } finally {
        await client.endAsync();
      }
    }));

  stateOption(health.command('history'))
    .description('a board\'s health transitions with the evidence behind each (the desk\'s record in its state folder)')
    .argument('<board>', 'board id, e.g. b07')
    .option('--limit <n>', 'the newest N transitions', (x) => Number(x), 50)
    .option('--json', 'print JSON')
    .action(action(async (board: string, o: { state: string; limit: number; json?: boolean }) => {
      const history = openHealthHistory(deskLayout(o.state).healthDb);
      try {
        const transitions = history.transitions(board, o.limit);
        if (o.json) return printJson(transitions);
        if (transitions.length === 0) return void process.stdout.write(`${board}: no transitions recorded\n`);
        for (const t of transitions) {
          process.stdout.write(`${when(t.at)}  ${t.from} -> ${t.to}: ${t.reason}\n`);
          for (const e of t.evidence) process.stdout.write(`    ${when(e.at)}  ${describeEvidence(e)}\n`);
        }
      } finally {
        history.close();
      }
    }));

  for (const [act, what] of [['recover', 'quarantine the board and recover it now (power cycle, then reflash)'], ['admit', 'take the board back into service (a retired one too), with a clean sheet'], ['retire', 'take the board out of service for good (until admitted)']] as const) {
    accessOptions(health.command(act))
      .description(what)
      .argument('<board>', 'board id, e.g. b07')
      .option('--json', 'print JSON')
      .action(action(async (board: string, o) => {
        const access = await resolveAccess(o, 'host');
        const client = await connectToDesk(access, 'health');
        try {
          const before = (await readVerdicts(access, client)).get(board);
          await client.publishAsync(healthRequestTopic(access.desk, board), JSON.stringify({ v: 1, action: act, by: `${access.username}@${hostname()}` }), { qos: 1 });
          // The desk's health service answers with a new verdict; none means no service is running.
          let after: BoardVerdict | undefined;
          for (const deadline = Date.now() + 10_000; !after && Date.now() < deadline;) {
            const v = (await readVerdicts(access, client, { quietMs: 100, deadlineMs: 1000 })).get(board);
            if (v && (v.since !== before?.since || v.state !== before.state)) after = v;
          }
          if (!after) throw new Error(`no answer from the desk's health service about ${board} within 10 s: is one running? (a simulated desk's supervisor runs it)`);
          if (o.json) return printJson(after);
          process.stdout.write(`${board}: ${after.state}: ${after.reason}\n`);
        } finally {
          await client.endAsync();
        }
      }));
  }

  targeted(health.command('check'))
    .description('run every self-check on the boards now (quarantined ones too) and show each result')
    .action(action(async (o) => {
      const outcomes = await fanOut({ ...o, includeQuarantined: true }, 'health.check', {}, 120_000);
      report(outcomes, o.json, (r) => [r.ok ? 'ok' : 'FAILED', r.checks.map((c) => `${c.ok ? '' : '!'}${c.name}`).join(' '), r.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`).join('; ') || '-'],
        ['health', 'checks (! failed)', 'what failed']);
    }));

  registerHealthServe(health);
}
