/**
 * An experiment as a user runs it: `deskbox run` on a simulated desk it starts itself, the
 * results bundle it leaves, `report` rebuilding it, `compare`; and a run stopped with Ctrl-C
 * that still writes its bundle and leaves no guest running.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { resolveAccess } from '../../host/client/access.ts';
import { connectToDesk } from '../../host/client/connect.ts';
import { decodeExperimentProgress, experimentTopic, type ExperimentProgress } from '../../broker/contract/experiment.ts';
import { waitFor } from '../support/wait.ts';
import { DESKBOX_CLI, deskbox, processesMentioning } from '../support/deskbox.ts';
import { Desk } from '../support/desk.ts';
import { tempDir, type TempDir } from '../support/temp-dir.ts';

/** The desk `deskbox run --start-desk` starts in this state folder (close() finds it through run.json). */
let desk: Desk;
let workDir: TempDir;
let state = '';
let work = '';

test.before(async () => {
  desk = await Desk.create('deskbox-e2e-exp-');
  workDir = await tempDir('deskbox-e2e-exp-work-');
  [state, work] = [desk.state, workDir.path];
});

test.after(async () => {
  await desk.close();
  await workDir.remove();
});

const PLAN = `name: e2e
boards: b01-b02
guests: { perBoard: 3, ramp: { batch: 2, every: 1s } }
idle: 2s
hold: 3s
telemetry: { periodS: 1 }
`;

/** The desk's retained experiment progress, as a dashboard (monitor user) reads it. */
async function experimentOnDesk(): Promise<ExperimentProgress> {
  const access = await resolveAccess({ state }, 'monitor');
  const client = await connectToDesk(access, 'e2e-experiment');
  try {
    let found: ExperimentProgress | undefined;
    client.on('message', (_t, payload) => { const d = decodeExperimentProgress(payload); if (d.ok) found = d.value; });
    await client.subscribeAsync(experimentTopic(access.desk), { qos: 1 });
    await waitFor(() => found !== undefined, { timeoutMs: 5000, what: 'the retained experiment progress' });
    return found!;
  } finally {
    await client.endAsync();
  }
}

test('deskbox run: a bundle with store, CSVs, consoles, summary and report; report and compare rebuild from it', () => desk.withLogs(async () => {
  const planFile = join(work, 'plan.yaml');
  await writeFile(planFile, PLAN);
  const out = join(work, 'runs');
  const first = JSON.parse((await deskbox(['run', planFile, '--start-desk', '3', '--state', state, '--out', out, '--json'], 180_000)).stdout);
  assert.not.ok(first.aborted);
  const dir = first.bundle as string;
  for (const f of ['plan.yaml', 'run.json', 'store.db', 'summary.json', 'report.html', 'csv/telemetry.csv', 'csv/guest_boots.csv', 'consoles/b01.log']) assert.ok(existsSync(join(dir, f)), `${f} in the bundle`);
  const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8'));
  assert.is(summary.desk.guestsBooted, 6);
  assert.is(summary.desk.guestBootMs.count, 6);
  assert.ok(summary.desk.energyJ > 0);
  assert.equal([summary.counts.lostTelemetry, summary.counts.malformed], [0, 0], 'no sample lost or malformed');
  assert.ok(summary.desk.launch.joulesPerGuestBoot !== null, 'an idle baseline was measured');
  assert.equal(summary.boards.map((b: { board: string }) => b.board), ['b01', 'b02']);
  const db = new Database(join(dir, 'store.db'), { readonly: true });
  const marks = db.prepare('select name from marks order by at').all().map((r) => (r as { name: string }).name);
  db.close();
  assert.equal(marks.slice(0, 4), ['repetition-start', 'boot-start', 'boards-ready', 'launch-start']);
  const html = await readFile(join(dir, 'report.html'), 'utf8');
  assert.ok((html.match(/<svg/g) ?? []).length >= 5 && !/https?:\/\//.test(html.replace(/xmlns="[^"]*"/g, '')), 'a self-contained report with its plots');
  assert.match((await deskbox(['report', dir])).stdout, /report .*report\.html/);
  // Each figure links its own SVG and CSV, written beside the page.
  const figures = [...html.matchAll(/<figure id="fig-([a-z-]+)"/g)].map((m) => m[1]!);
  assert.ok(figures.length >= 5 && figures.includes('power-board'), `figures: ${figures}`);
  for (const id of figures) {
    for (const ext of ['svg', 'csv']) {
      assert.ok(html.includes(`href="figure-${id}.${ext}"`), `${id} links its ${ext}`);
      assert.ok(existsSync(join(dir, `figure-${id}.${ext}`)), `figure-${id}.${ext} in the bundle`);
    }
    const svg = await readFile(join(dir, `figure-${id}.svg`), 'utf8');
    assert.ok(svg.startsWith('<?xml') && svg.includes('xmlns="http://www.w3.org/2000/svg"') && svg.trimEnd().endsWith('</svg>'), `${id}.svg is a standalone document`);
  }
  const powerCsv = (await readFile(join(dir, 'figure-power-board.csv'), 'utf8')).trimEnd().split('\r\n').map((r) => r.split(','));
  assert.equal(powerCsv[0], ['series', 'time since run start (s)', 'power (W)']);
  for (const b of ['b01', 'b02', 'mean per board']) assert.ok(powerCsv.some((r) => r[0] === b && Number.isFinite(Number(r[1])) && Number(r[2]) > 0), `${b} plotted`);
  assert.ok(summary.desk.power.meanW <= summary.desk.power.peakW, 'desk mean within its peak');
  for (const b of summary.boards) assert.ok(b.meanW <= b.peakW, `${b.board} mean within its peak`);
  assert.ok(summary.desk.boardBootMs !== null, 'the boards were rebooted within the run: their boots count');
  const done = await experimentOnDesk();
  assert.equal([done.run, done.plan, done.state, done.phase, done.boards], [first.runId, 'e2e', 'done', null, 2]);

  // Stopped with Ctrl-C in its hold: the bundle is still written, and no guest is left.
  const long = join(work, 'long.yaml');
  await writeFile(long, PLAN.replace('hold: 3s', 'hold: 10m'));
  const child = spawn(process.execPath, [DESKBOX_CLI, 'run', long, '--state', state, '--out', out, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d; });
  const runs = async () => (await readdir(out)).length;
  const inHold = async () => {
    const dirs = await readdir(out);
    const db2 = dirs.length > 1 ? join(out, dirs.sort()[dirs.length - 1]!, 'store.db') : '';
    if (!db2 || !existsSync(db2)) return false;
    // The run may be creating the file and its tables right now: not there yet is not yet.
    try {
      const d = new Database(db2, { readonly: true, fileMustExist: true });
      try {
        return (d.prepare("select count(*) as n from marks where name = 'hold-start'").get() as { n: number }).n > 0;
      } finally {
        d.close();
      }
    } catch {
      return false; // not created yet
    }
  };
  await waitFor(inHold, { timeoutMs: 90_000, pollMs: 200, what: 'the long run to reach its hold' })
    .catch(async (err: Error) => { throw new Error(`${err.message} (${await runs()} bundles)`); });
  child.kill('SIGINT');
  await new Promise((r) => child.once('exit', r));
  const stopped = JSON.parse(stdout);
  assert.ok(stopped.aborted);
  assert.equal([(await experimentOnDesk()).state], ['aborted']);
  assert.ok(existsSync(join(stopped.bundle, 'report.html')));
  const ls = JSON.parse((await deskbox(['guests', 'ls', '--boards', 'b01,b02', '--state', state, '--json'])).stdout);
  assert.equal(ls.map((o: { result: { board: { running: number } } }) => o.result.board.running), [0, 0], 'guests stopped');
  const compared = await deskbox(['compare', dir, stopped.bundle, '-o', join(work, 'compare.html')]);
  assert.match(compared.stdout, /comparison/);
  assert.match(compared.stderr, /warning: the runs' plans differ: hold: 3000 → 600000/);
  const comparePage = await readFile(join(work, 'compare.html'), 'utf8');
  assert.match(comparePage, /plans differ<\/strong>[^<]*hold: 3000 → 600000/);
  assert.match(comparePage, /<svg id="compare-power"/);
  for (const f of ['figure-compare-power.svg', 'figure-compare-power.csv']) assert.ok(existsSync(join(work, f)), `${f} beside compare.html`);
  const comparedJson = await deskbox(['compare', dir, stopped.bundle, '--json']);
  const diff = JSON.parse(comparedJson.stdout);
  assert.equal(diff.planDifferences, [{ path: 'hold', a: 3000, b: 600_000 }]);
  assert.ok(diff.deltas.some((d: { key: string; diff: number | null }) => d.key === 'energy' && typeof d.diff === 'number'));
  assert.match(comparedJson.stderr, /plans differ/);

  // A plan with an image: flashed into its boards first; the run records what they run.
  await deskbox(['image', 'build', 'board', '--state', state, '--guest', join(state, 'images', 'busybox.dbi'), '--version', '0.9.0-e2e', '-o', join(work, 'v9.dbi')]);
  const flashed = join(work, 'flashed.yaml');
  await writeFile(flashed, PLAN.replace('name: e2e', 'name: flashed\nimage: v9.dbi').replace('hold: 3s', 'hold: 1s'));
  const third = JSON.parse((await deskbox(['run', flashed, '--state', state, '--out', out, '--json'], 180_000)).stdout);
  const record = JSON.parse(await readFile(join(third.bundle, 'run.json'), 'utf8'));
  assert.equal(Object.values(record.images).map((i) => (i as { version: string }).version), ['0.9.0-e2e', '0.9.0-e2e']);

  await desk.down();
  assert.equal(await processesMentioning(state), []);
}));

test.run();
