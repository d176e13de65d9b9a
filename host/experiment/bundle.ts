/**
 * A run's results bundle: one folder per run id with the plan as written, what ran where
 * (run.json: versions, images, boards), the store (store.db) and its CSV exports, the boards'
 * console logs, summary.json, report.html and each of its figures as figure-<id>.svg and
 * figure-<id>.csv beside it. The report is rebuilt from the folder alone
 * (`deskbox report <bundle>`), so a bundle copied elsewhere stays useful.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { writeFileAtomic } from '../../platform/atomic-file.ts';
import type { LostBoard } from './fleet.ts';
import { openTelemetryStore } from '../store/telemetry-store.ts';
import { summarizeRun, type RunSummary } from '../analysis/summary.ts';
import { renderReportFiles } from '../report/report.ts';
import { deskPowerLine } from '../report/charts.ts';
import type { ComparedRun } from '../report/comparison.ts';
import { parsePlan } from './plan.ts';
import type { RunStatus } from '../report/run-status.ts';
import type { NetProbeRecord } from '../net/probe.ts';

export interface RunRecord {
  v: 1;
  runId: string;
  plan: string;
  desk: string;
  boards: string[];
  startedAt: number;
  /** Absent while the run goes on, and in a bundle whose runner was killed. */
  endedAt?: number;
  aborted?: boolean;
  /** Stopped at once with a second Ctrl-C: guests may have been left running. */
  quit?: boolean;
  /** What ended a run that failed. */
  error?: string;
  /** Boards of the plan's set that did not take part. */
  leftOut?: { board: string; reason: string }[];
  /** Boards that dropped out during the run. */
  lost?: LostBoard[];
  deskbox: string;
  /** Per board, the image its status named when the run began. */
  images: Record<string, { slot: string; name: string; version: string; sha256: string } | null>;
  outcome?: unknown;
}

export function bundlePaths(dir: string) {
  return {
    dir,
    plan: join(dir, 'plan.yaml'),
    run: join(dir, 'run.json'),
    store: join(dir, 'store.db'),
    csv: join(dir, 'csv'),
    consoles: join(dir, 'consoles'),
    summary: join(dir, 'summary.json'),
    report: join(dir, 'report.html'),
    /** A plan with a topology: reachability and RTTs of its guest networks (experiment/net-phase.ts). */
    netProbe: join(dir, 'net-probe.json'),
  };
}

export async function readRunRecord(dir: string): Promise<RunRecord> {
  const file = bundlePaths(dir).run;
  try {
    return JSON.parse(await readFile(file, 'utf8')) as RunRecord;
  } catch (e) {
    throw new Error(`${dir} is not a results bundle (${file}: ${(e as Error).message})`);
  }
}

/** How the run ended, from its record: a record without an end is a run whose runner was killed. */
export function runStatus(run: RunRecord): RunStatus {
  const complete = run.endedAt !== undefined;
  const problems = (run.outcome as { problems?: unknown } | undefined)?.problems;
  return {
    complete,
    aborted: run.aborted ?? !complete,
    quit: run.quit ?? false,
    ...(run.error ? { error: run.error } : {}),
    leftOut: run.leftOut ?? [],
    lost: run.lost ?? [],
    problems: Array.isArray(problems) ? problems.map(String) : [],
  };
}

/** Summary and report from what the bundle holds; CSVs too when asked. */
export async function buildReport(dir: string, opts: { csv?: boolean } = {}): Promise<{ summary: RunSummary; report: string }> {
  const paths = bundlePaths(dir);
  const run = await readRunRecord(dir);
  const plan: unknown = parseYaml(await readFile(paths.plan, 'utf8').catch(() => ''));
  const store = openTelemetryStore(paths.store, { desk: run.desk });
  try {
    // The store keeps every board the desk reported; the run is about the plan's boards.
    const mine = new Set(run.boards);
    const series = {
      telemetry: store.telemetry().filter((r) => mine.has(r.board)),
      bootPhases: store.bootPhases().filter((r) => mine.has(r.board)),
      guestBoots: store.guestBoots().filter((r) => mine.has(r.board)),
      marks: store.marks(),
    };
    const summary = summarizeRun({ boards: run.boards, ...series, counts: store.counts() });
    const status = runStatus(run);
    if (opts.csv) store.exportCsv(paths.csv);
    await writeFileAtomic(paths.summary, JSON.stringify({ runId: run.runId, ...status, ...summary }, null, 2) + '\n');
    const netProbe = JSON.parse(await readFile(paths.netProbe, 'utf8').catch(() => 'null')) as NetProbeRecord | null;
    const { html, files } = renderReportFiles({ title: `${run.plan} on ${run.desk}`, runId: run.runId, plan, summary, series, status, netProbe });
    // The figures first: a page is never left linking files not yet written.
    for (const f of files) await writeFileAtomic(join(dir, f.name), f.content);
    await writeFileAtomic(paths.report, html);
    return { summary, report: paths.report };
  } finally {
    store.close();
  }
}

/**
 * One side of `compare`: the run's summary, its plan with defaults filled (so an unset field
 * and its default compare equal; a plan this version no longer parses is taken as written),
 * and its desk power from the store.
 */
export async function loadComparedRun(dir: string): Promise<ComparedRun> {
  const paths = bundlePaths(dir);
  const run = await readRunRecord(dir);
  const summary = JSON.parse(await readFile(paths.summary, 'utf8').catch((e: Error) => {
    throw new Error(`${dir} has no summary (${e.message}); run \`deskbox report ${dir}\` first`);
  })) as RunSummary;
  const text = await readFile(paths.plan, 'utf8').catch(() => undefined);
  let plan: unknown;
  try {
    plan = text === undefined ? undefined : parsePlan(text, paths.plan);
  } catch {
    plan = parseYaml(text!);
  }
  const store = openTelemetryStore(paths.store, { desk: run.desk });
  try {
    const mine = new Set(run.boards);
    return { runId: run.runId, summary, plan, power: deskPowerLine(store.telemetry().filter((r) => mine.has(r.board)), summary.window) };
  } finally {
    store.close();
  }
}
