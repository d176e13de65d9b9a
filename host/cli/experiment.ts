/**
 * `deskbox run <plan.yaml>`: an experiment on the desk the options point at (simulated or
 * real), with a progress bar per phase; Ctrl-C stops it cleanly and keeps what was measured.
 * `deskbox report <bundle>` rebuilds a bundle's report; `deskbox compare <a> <b>` sets two
 * runs side by side.
 */
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { spawn } from 'node:child_process';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../../platform/atomic-file.ts';
import { AGENT_VERSION } from '../../board/version.ts';
import { resolveAccess } from '../client/access.ts';
import { resolveBoards } from '../client/desk-boards.ts';
import { connectToDesk } from '../client/connect.ts';
import { createRequester } from '../client/request.ts';
import { controlRequest } from '../desk/control.ts';
import { deskLayout } from '../locations/layout.ts';
import { readDeskFile, readLiveRunFile } from '../locations/desk-file.ts';
import { watchBoardHealth } from '../flash/health.ts';
import { flashPlanImage } from '../experiment/flash-phase.ts';
import { loadPlan } from '../experiment/plan.ts';
import { runPlan, type PhaseProgress } from '../experiment/runner.ts';
import { createProgressPublisher, teeProgress } from '../experiment/progress-publisher.ts';
import { watchDesk } from '../experiment/desk-watch.ts';
import { bundlePaths, buildReport, readRunRecord, type RunRecord } from '../experiment/bundle.ts';
import { openTelemetryStore } from '../store/telemetry-store.ts';
import { renderComparison } from '../report/report.ts';
import type { RunSummary } from '../analysis/summary.ts';
import { accessOptions } from './options.ts';
import { action, printJson } from './run.ts';

/** This CLI again, as a child: `desk up` exactly as a user would type it. */
function deskbox(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    // Its report goes to stderr: stdout is this command's own (--json).
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...args], { stdio: ['ignore', 2, 'inherit'] });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`deskbox ${args.join(' ')} failed (exit ${code})`))));
  });
}

function runIdOf(name: string, at = new Date()): string {
  return `${at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}-${name}`;
}

function phaseBars(enabled: boolean): PhaseProgress {
  let bar: cliProgress.SingleBar | undefined;
  return {
    start(phase, total, unit) {
      if (!enabled) return;
      bar = new cliProgress.SingleBar({ format: `${phase.padEnd(7)}|{bar}| {value}/{total} ${unit} {duration_formatted}`, hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic);
      bar.start(Math.max(1, total), 0);
    },
    update: (done) => bar?.update(done),
    end: () => { bar?.stop(); bar = undefined; },
  };
}

const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((r) => {
  const t = setTimeout(done, ms);
  function done() { clearTimeout(t); signal.removeEventListener('abort', done); r(); }
  signal.addEventListener('abort', done);
});

export function registerExperiment(program: Command): void {
  accessOptions(program.command('run'))
    .description('run an experiment plan on the desk and write a results bundle with its report')
    .argument('<plan.yaml>', 'the plan (see plans/default.yaml)')
    .option('--out <dir>', 'where results bundles go', 'runs')
    .option('--start-desk <boards>', 'no desk running at --state? start a simulated one with this many boards (it keeps running)')
    .option('--json', 'print the outcome as JSON')
    .action(action(async (planFile: string, o) => {
      const { plan, text } = await loadPlan(planFile);
      if (o.startDesk && !o.broker && !(await readLiveRunFile(deskLayout(o.state)))) {
        process.stderr.write(`starting a simulated desk with ${o.startDesk} boards in ${deskLayout(o.state).root}\n`);
        await deskbox(['desk', 'up', '--boards', String(o.startDesk), '--state', o.state]);
      }
      const access = await resolveAccess(o, 'host');
      const client = await connectToDesk(access, 'experiment');
      const boards = await resolveBoards(String(plan.boards), access, client).catch(async (err: Error) => {
        await client.endAsync();
        throw err;
      });
      const runId = runIdOf(plan.name);
      const dir = resolve(o.out, runId);
      const paths = bundlePaths(dir);
      await mkdir(dir, { recursive: true });
      await writeFileAtomic(paths.plan, text);
      const store = openTelemetryStore(paths.store, { desk: access.desk });
      const abort = new AbortController();
      const onSigint = () => {
        if (abort.signal.aborted) process.exit(130);
        process.stderr.write('\nstopping: guests are being stopped; what was measured is kept (Ctrl-C again to quit at once)\n');
        abort.abort();
      };
      process.on('SIGINT', onSigint);
      let flushTimer: NodeJS.Timeout | undefined;
      const published = createProgressPublisher({
        desk: access.desk, run: runId, plan: plan.name, boards: boards.length, repetitions: plan.repetitions, now: () => Date.now(),
        publish: (topic, payload) => client.publish(topic, payload, { qos: 1, retain: true }, (e) => { if (e) process.stderr.write(`deskbox: experiment progress not published: ${e.message}\n`); }),
      });
      const record: RunRecord = { v: 1, runId, plan: plan.name, desk: access.desk, boards, startedAt: Date.now(), deskbox: AGENT_VERSION, images: {} };
      try {
        const desk = await watchDesk(client, access.desk, store, (e) => process.stderr.write(`deskbox: store: ${e.message}\n`));
        // A crash loses at most a second of samples.
        flushTimer = setInterval(() => { try { store.flush(); } catch (e) { process.stderr.write(`deskbox: store: ${(e as Error).message}\n`); } }, 1000);
        const request = createRequester(client, access.desk);
        record.images = Object.fromEntries(boards.map((b) => [b, desk.status(b)?.image ?? null]));
        store.setMeta('plan', plan);
        const layout = o.broker ? undefined : deskLayout(o.state);
        const bars = teeProgress(phaseBars(!o.json && process.stderr.isTTY), published);
        if (plan.image) {
          if (!layout) throw new Error('flashing a plan\'s image needs a simulated desk (on a real desk: deskbox flash first)');
          const health = await watchBoardHealth(await resolveAccess({ state: o.state }, 'monitor'));
          try {
            store.mark('flash-start', Date.now());
            await flashPlanImage({ image: resolve(dirname(planFile), plan.image), boards, state: o.state, baud: (await readDeskFile(layout)).console.baud, health, progress: bars });
            store.mark('flash-end', Date.now());
          } finally {
            await health.close();
          }
          record.images = Object.fromEntries(boards.map((b) => [b, desk.status(b)?.image ?? null]));
        }
        const outcome = await runPlan({
          boards, plan, signal: abort.signal, now: () => Date.now(), sleep,
          request,
          powerCycle: layout ? async (b) => { await controlRequest(layout.controlSocket, 'POST', '/power', { board: b, action: 'cycle' }); } : undefined,
          waitReady: (bs, since, signal) => desk.waitReady(bs, since, signal),
          mark: (name, detail) => { store.mark(name, Date.now(), detail); published.mark(name, detail); },
          progress: bars,
        });
        published.finish(outcome.aborted ? 'aborted' : 'done');
        // Let the last telemetry and events of the stop arrive before the store closes.
        await sleep(Math.max(1500, plan.telemetry.periodS * 1000 + 500), new AbortController().signal);
        record.endedAt = Date.now();
        record.aborted = outcome.aborted;
        record.outcome = outcome;
        if (layout) {
          await mkdir(paths.consoles, { recursive: true });
          for (const b of boards) if (existsSync(layout.board(b).consoleLog)) await copyFile(layout.board(b).consoleLog, join(paths.consoles, `${b}.log`));
        }
      } catch (err) {
        published.finish('failed', (err as Error).message);
        throw err;
      } finally {
        clearInterval(flushTimer);
        process.off('SIGINT', onSigint);
        try {
          // Ended first, so no message arrives for a closed store.
          await client.endAsync();
        } finally {
          store.flush();
          store.close();
        }
        await writeFileAtomic(paths.run, JSON.stringify(record, null, 2) + '\n');
      }
      const { summary, report } = await buildReport(dir, { csv: true });
      if (o.json) return printJson({ runId, bundle: dir, report, aborted: record.aborted, summary });
      process.stdout.write(`run ${runId}${record.aborted ? ' (stopped early)' : ''}\n  bundle  ${dir}\n  report  ${report}\n`);
    }));

  program.command('report')
    .description('rebuild a results bundle\'s summary.json and report.html')
    .argument('<bundle>', 'a run\'s folder (runs/<run id>)')
    .option('--json', 'print the summary as JSON')
    .action(action(async (dir: string, o: { json?: boolean }) => {
      const { summary, report } = await buildReport(dir, { csv: true });
      if (o.json) return printJson(summary);
      process.stdout.write(`report ${report}\n`);
    }));

  program.command('compare')
    .description('two runs side by side: headline figures and their differences')
    .argument('<a>', 'a results bundle').argument('<b>', 'another one')
    .option('-o, --out <file>', 'the page to write', 'compare.html')
    .option('--json', 'print both summaries as JSON')
    .action(action(async (a: string, b: string, o: { out: string; json?: boolean }) => {
      const load = async (dir: string) => ({ runId: (await readRunRecord(dir)).runId, summary: JSON.parse(await readFile(bundlePaths(dir).summary, 'utf8')) as RunSummary });
      const [ra, rb] = [await load(a), await load(b)];
      if (o.json) return printJson({ a: ra, b: rb });
      await writeFileAtomic(o.out, renderComparison(ra, rb));
      process.stdout.write(`comparison ${resolve(o.out)}\n`);
    }));
}
