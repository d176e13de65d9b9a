/**
 * `deskbox run <plan.yaml>`: an experiment on the desk the options point at (simulated or
 * real), with a progress bar per phase. Boards offline at the start are left out (or the run
 * refuses, as the plan says), lost ones are marked and the run goes on. Ctrl-C stops it within
 * seconds with a complete bundle; a second Ctrl-C quits at once; even a killed run leaves a
 * bundle that `deskbox report` rebuilds, and its retained state is set to aborted by the
 * broker (the connection's will).
 */
import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../../platform/atomic-file.ts';
import { AGENT_VERSION } from '../../board/version.ts';
import { experimentTopic } from '../../broker/contract/experiment.ts';
import { resolveAccess } from '../client/access.ts';
import { readDeskBoards, resolveBoards } from '../client/desk-boards.ts';
import { connectToDesk, endSession } from '../client/connect.ts';
import { createRequester } from '../client/request.ts';
import { openSwitchboard, outletOf, type Switchboard } from '../real-desk/switchboard.ts';
import { setUpPlanNetworks } from '../experiment/net-phase.ts';
import { loadDeskYaml } from '../locations/desk-yaml.ts';
import { boardConsoleLogPath } from '../flash/console-log.ts';
import { deskLayout } from '../locations/layout.ts';
import { readDeskFile, readLiveRunFile } from '../locations/desk-file.ts';
import { watchBoardHealth } from '../flash/health.ts';
import { flashPlanImage } from '../experiment/flash-phase.ts';
import { loadPlan } from '../experiment/plan.ts';
import { runPlan } from '../experiment/runner.ts';
import { abandonedRun, createProgressPublisher, teeProgress } from '../experiment/progress-publisher.ts';
import { watchDesk } from '../experiment/desk-watch.ts';
import { listenForStop } from '../experiment/stop-requests.ts';
import { bundlePaths, buildReport, type RunRecord } from '../experiment/bundle.ts';
import { openTelemetryStore } from '../store/telemetry-store.ts';
import { phaseBars } from './phase-bars.ts';
import { runHeadline } from './run-headline.ts';
import { accessOptions, sayLeftOut, selectionOptions } from './options.ts';
import { action, printJson } from './run.ts';

export class RunRefusedError extends Error {
  override readonly name = 'RunRefusedError';
}

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

const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((r) => {
  const t = setTimeout(done, ms);
  function done() { clearTimeout(t); signal.removeEventListener('abort', done); r(); }
  signal.addEventListener('abort', done);
});

const say = (line: string): void => { process.stderr.write(`${line}\n`); };

export function registerRun(program: Command): void {
  selectionOptions(accessOptions(program.command('run')))
    .description('run an experiment plan on the desk and write a results bundle with its report')
    .argument('<plan.yaml>', 'the plan (see plans/default.yaml)')
    .option('--out <dir>', 'where results bundles go', 'runs')
    .option('--start-desk <boards>', 'no desk running at --state? start a simulated one with this many boards (it keeps running)')
    .option('--json', 'print the outcome as JSON')
    .action(action(async (planFile: string, o) => {
      const { plan, text } = await loadPlan(planFile);
      if (o.startDesk && !o.broker && !o.deskFile && !(await readLiveRunFile(deskLayout(o.state)))) {
        say(`starting a simulated desk with ${o.startDesk} boards in ${deskLayout(o.state).root}`);
        await deskbox(['desk', 'up', '--boards', String(o.startDesk), '--state', o.state]);
      }
      const access = await resolveAccess(o, 'host');
      const runId = runIdOf(plan.name);
      const progressOf = { run: runId, plan: plan.name, repetitions: plan.repetitions, now: () => Date.now() };
      // A persistent session: samples published while the broker restarts wait for the runner.
      const client = await connectToDesk(access, 'experiment', 5000, {
        reconnect: true, session: `deskbox-run-${runId}`,
        will: { topic: experimentTopic(access.desk), payload: Buffer.from(JSON.stringify(abandonedRun({ ...progressOf, boards: access.boards.length }))), qos: 1, retain: true },
      });
      let ending: Promise<void> | undefined;
      const ended = () => (ending ??= endSession(client, access, 'experiment'));
      const dir = resolve(o.out, runId);
      const paths = bundlePaths(dir);
      try {
        const { boards: wanted, leftOut } = await resolveBoards(String(plan.boards), access, client, o);
        // The run goes on the boards in service; the others are named now and in its record (run.json).
        sayLeftOut(leftOut);
        await mkdir(dir, { recursive: true });
        await writeFileAtomic(paths.plan, text);
        const store = openTelemetryStore(paths.store, { desk: access.desk });
        const desk = await watchDesk(client, access.desk, store, (e) => say(`deskbox: store: ${e.message}`));
        const census = await desk.census(wanted);
        if (census.offline.length > 0 && (plan.offline === 'refuse' || census.online.length === 0)) {
          // Ended first, so no message arrives for a closed store.
          await ended();
          store.close();
          await rm(dir, { recursive: true, force: true });
          throw new RunRefusedError(census.online.length === 0
            ? `no board of "${plan.boards}" is online (${census.offline.join(',')})`
            : `the plan wants every board (offline: refuse) and ${census.offline.join(',')} ${census.offline.length === 1 ? 'is' : 'are'} offline`);
        }
        if (census.offline.length > 0) say(`deskbox: leaving out ${census.offline.length} offline board(s): ${census.offline.join(',')}`);
        const boards = census.online;
        const record: RunRecord = {
          v: 1, runId, plan: plan.name, desk: access.desk, boards, startedAt: Date.now(), deskbox: AGENT_VERSION,
          leftOut: [
            ...leftOut.map((v) => ({ board: v.board, reason: `${v.state}: ${v.reason}` })),
            ...census.offline.map((board) => ({ board, reason: 'offline when the run began' })),
          ],
          images: Object.fromEntries(boards.map((b) => [b, desk.status(b)?.image ?? null])),
        };
        // Written now and again at the end: a run killed outright still leaves a bundle `report` can rebuild.
        await writeFileAtomic(paths.run, JSON.stringify(record, null, 2) + '\n');
        store.setMeta('plan', plan);
        const unacked = new Set<Promise<void>>();
        const published = createProgressPublisher({
          ...progressOf, desk: access.desk, boards: boards.length,
          publish: (topic, payload) => {
            const sent = client.publishAsync(topic, payload, { qos: 1, retain: true })
              .then(() => undefined, (e: Error) => say(`deskbox: experiment progress not published: ${e.message}`))
              .finally(() => { unacked.delete(sent); });
            unacked.add(sent);
          },
        });
        const flushEverySecond = setInterval(() => {
          published.tick();
          try { store.flush(); } catch (e) { say(`deskbox: store: ${(e as Error).message}`); }
        }, 1000);
        const stop = listenForStop({
          onFirst: () => say('\nstopping: guests are being stopped; what was measured is kept (Ctrl-C again to quit at once)'),
          quitWithinMs: 2000,
          quit: async () => {
            clearInterval(flushEverySecond);
            store.flush();
            writeFileSync(paths.run, JSON.stringify({ ...record, endedAt: Date.now(), aborted: true, quit: true }, null, 2) + '\n');
            published.finish('aborted', 'quit with a second Ctrl-C; guests may still run');
            await Promise.all(unacked);
            // A goodbye, or the broker would publish the will (a less precise `aborted`) over this one.
            await client.endAsync();
          },
        });
        let power: Switchboard | undefined;
        try {
          const layout = o.broker || o.deskFile ? undefined : deskLayout(o.state);
          // A run's reboots go through the desk's power outlets: a real desk's (desk file) or the simulated desk's switch.
          power = o.broker ? undefined : await openSwitchboard(o.deskFile ? await loadDeskYaml(o.deskFile) : undefined, { state: o.state, say });
          const bars = teeProgress(phaseBars(o.json ? 'none' : process.stderr.isTTY ? 'bars' : 'lines'), published);
          if (plan.image) {
            if (!layout) throw new Error('flashing a plan\'s image needs a simulated desk (on a real desk: deskbox flash first)');
            const health = await watchBoardHealth(await resolveAccess({ state: o.state }, 'monitor'));
            try {
              store.mark('flash-start', Date.now());
              await flashPlanImage({ image: resolve(dirname(planFile), plan.image), boards, state: o.state, baud: (await readDeskFile(layout)).console.baud, health, progress: bars });
              store.mark('flash-end', Date.now());
              // From the watcher that saw each board back with the image: the run's own view of the
              // statuses may not have heard them yet.
              record.images = Object.fromEntries(boards.map((b) => [b, health.image(b) ?? null]));
            } finally {
              await health.close();
            }
          }
          const request = createRequester(client, access.desk);
          const probeNetworks = await setUpPlanNetworks({
            plan, planFile, request, boards, probeFile: paths.netProbe,
            desk: async () => { const known = await readDeskBoards(access, client); return { boards: known.boards, tagsOf: (b) => access.tags?.[b] ?? known.tags.get(b) ?? [] }; },
          });
          const outcome = await runPlan({
            boards, plan, signal: stop.signal, now: () => Date.now(), sleep, request, ...(probeNetworks && { probeNetworks }),
            powerCycle: power ? async (b) => { await outletOf(power!, b).cycle(); } : undefined,
            waitReady: desk.waitReady,
            onOffline: desk.onOffline,
            mark: (name, detail) => { store.mark(name, Date.now(), detail); published.mark(name, detail); },
            progress: bars,
          });
          published.finish(outcome.aborted ? 'aborted' : 'done');
          outcome.lost.forEach((l) => say(`deskbox: lost ${l.board} in ${l.phase}: ${l.reason}`));
          // Let the last telemetry and events of the stop arrive before the store closes (a stopped run is in a hurry).
          await sleep(outcome.aborted ? 1000 : Math.max(1500, plan.telemetry.periodS * 1000 + 500), new AbortController().signal);
          Object.assign(record, { endedAt: Date.now(), aborted: outcome.aborted, lost: outcome.lost, outcome });
          const consoleLog = (b: string) => (layout ? layout.board(b).consoleLog : boardConsoleLogPath(o.state, b));
          await mkdir(paths.consoles, { recursive: true });
          for (const b of boards) if (existsSync(consoleLog(b))) await copyFile(consoleLog(b), join(paths.consoles, `${b}.log`));
        } catch (err) {
          published.finish('failed', (err as Error).message);
          Object.assign(record, { endedAt: Date.now(), aborted: true, error: (err as Error).message });
          throw err;
        } finally {
          clearInterval(flushEverySecond);
          stop.release();
          await power?.close();
          try {
            // Ended first, so no message arrives for a closed store.
            await ended();
          } finally {
            store.flush();
            store.close();
          }
          await writeFileAtomic(paths.run, JSON.stringify(record, null, 2) + '\n');
        }
        const { summary, report } = await buildReport(dir, { csv: true });
        if (o.json) return printJson({ runId, bundle: dir, report, aborted: record.aborted, leftOut: record.leftOut, lost: record.lost, summary });
        process.stdout.write(`run ${runId}${record.aborted ? ' (stopped early)' : ''}\n${runHeadline(summary).map((l) => `  ${l}\n`).join('')}  bundle     ${dir}\n  report     ${report}\n`);
      } finally {
        await ended();
      }
    }));
}
