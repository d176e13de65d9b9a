import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { summarizeRun, type BootPhaseRow, type GuestBootRow, type TelemetryRow } from '../../host/analysis/summary.ts';
import { formatNumber } from '../../host/report/format.ts';
import { renderComparison, renderReport } from '../../host/report/report.ts';
import { comparedPlanDifferences, comparisonDeltas, renderComparisonFiles } from '../../host/report/comparison.ts';
import { deskPowerLine } from '../../host/report/charts.ts';

const MAX_BYTES = 2 * 1024 * 1024;

/** 490 boards, 300 one-second samples each, ten guests per board booted during the launch. */
function syntheticRun(boardCount: number, seed: number) {
  let state = seed;
  const rand = () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const T = 1_700_000_000_000, at = (s: number) => T + Math.round(s * 1000);
  const boards = Array.from({ length: boardCount }, (_, i) => `b${String(i + 1).padStart(3, '0')}`);
  const telemetry: TelemetryRow[] = [], guestBoots: GuestBootRow[] = [], bootPhases: BootPhaseRow[] = [];
  for (const board of boards) {
    const starts = Array.from({ length: 10 }, (_, g) => 60 + g * 5 + rand() * 4);
    starts.forEach((s, g) => guestBoots.push({ board, guest: `g${g}`, bootMs: 700 + rand() * 1500 + (g === 9 ? rand() * 3000 : 0), at: at(s) }));
    const on = rand() * 5;
    ['power-on', 'agent-start', 'broker-connected', 'ready'].forEach((phase, k) => bootPhases.push({ board, phase, at: at(on + k * (2 + rand())) }));
    let energy = 0, prev: number | undefined;
    for (let s = 0; s < 300; s++) {
      const running = s >= 240 ? 0 : starts.filter((x) => x <= s).length;
      const launching = starts.some((x) => s >= x && s < x + 2);
      const powerW = 1 + running * 0.03 + (launching ? 0.6 : 0) + rand() * 0.05;
      if (prev !== undefined) energy += (prev + powerW) / 2;
      prev = powerW;
      telemetry.push({ board, at: at(s + 0.01 * rand()), powerW, energyJ: energy, guestsRunning: running, guestsReady: running, guestsFailed: 0 });
    }
  }
  const marks = [['boot-start', 0], ['boards-ready', 12], ['launch-start', 60], ['launch-end', 120], ['hold-start', 120], ['hold-end', 240], ['stop-end', 299]]
    .map(([name, s]) => ({ name: name as string, at: at(s as number) }));
  const series = { telemetry, guestBoots, bootPhases, marks };
  return { series, summary: summarizeRun({ boards, ...series, counts: { malformed: 4, lostTelemetry: 17 } }) };
}

const big = syntheticRun(490, 42);
const plan = { name: 'boot-storm', boards: 490, guests: { perBoard: 10, image: 'alpine-echo' }, hold: '120s' };
const FINISHED = { complete: true, aborted: false, quit: false, leftOut: [], lost: [], problems: [] };
const html = renderReport({ title: 'boot-storm on desk1', runId: 'run-2024-0001', plan, summary: big.summary, series: big.series, status: FINISHED });

test('a 490-board report is one self-contained page under the size limit', () => {
  assert.is(html.match(/<html/g)?.length, 1);
  assert.ok(html.startsWith('<!DOCTYPE html>'));
  assert.ok(html.trimEnd().endsWith('</html>'));
  assert.not.match(html, /https?:/);
  assert.not.match(html, /<script|<link|src=/i);
  assert.ok(Buffer.byteLength(html) < MAX_BYTES, `report is ${Buffer.byteLength(html)} bytes`);
  console.log(`      490-board report: ${(Buffer.byteLength(html) / 1024).toFixed(0)} KiB`);
});

test('every chart is an accessible svg with a title, labelled axes and units', () => {
  const svgs = html.match(/<svg[^>]*>/g) ?? [];
  for (const id of ['boot-cdf', 'guests-desk', 'guests-board', 'power-desk', 'power-board', 'energy-board', 'jpb-board']) {
    assert.match(html, new RegExp(`<svg id="${id}"[^>]*role="img"[^>]*><title id="${id}-t">[^<]+</title><desc`), id);
  }
  assert.is(svgs.length, 7);
  assert.is((html.match(/<\/svg>/g) ?? []).length, 7);
  for (const label of ['guest boot time (ms)', 'time since run start (s)', 'power (W)', 'energy (J)', 'guests running']) assert.ok(html.includes(label), label);
  assert.match(html, /<details><summary>Figures for each of the 490 boards/);
});

test('headline figures appear as text', () => {
  const d = big.summary.desk;
  assert.is(d.boardsReporting, 490);
  assert.is(d.guestsBooted, 4900);
  for (const text of ['run-2024-0001', '490 / 490', formatNumber(d.guestsBooted), `${formatNumber(d.energyJ)} J`,
    `${formatNumber(d.launch!.joulesPerGuestBoot)} J`, `${formatNumber(d.guestBootMs!.p50)} / ${formatNumber(d.guestBootMs!.p95)} / ${formatNumber(d.guestBootMs!.p99)} ms`,
    'boot-storm', 'alpine-echo']) {
    assert.ok(html.includes(text), `missing ${text}`);
  }
  assert.ok(d.launch!.joulesPerGuestBoot! > 0);
});

test('a small run renders too, with the board table open', () => {
  const small = syntheticRun(3, 7);
  const page = renderReport({ title: 'three', runId: 'r3', plan: undefined, summary: small.summary, series: small.series, status: FINISHED });
  assert.match(page, /<details open><summary>Figures for each of the 3 boards/);
  assert.match(page, /No plan recorded/);
  assert.is((page.match(/<svg/g) ?? []).length, 7);
  assert.not.match(page, /How the run went/, 'a run that went as planned says nothing about it');
});

test('a run with a topology shows its guest networks: pairs reachable, loss and RTT percentiles per network and repetition', () => {
  const small = syntheticRun(3, 7);
  const rtt = { count: 12, p50: 0.2, p95: 0.44, p99: 0.45, max: 0.458, mean: 0.25 };
  const netProbe = { topology: 'two-lans', probes: [{ repetition: 1, at: 0, errors: ['b03: timeout'], networks: [
    { network: 'lan1', pairs: 12, reachable: 12, sent: 36, received: 36, rttMs: rtt, unreachable: [] },
    { network: 'lan2', pairs: 2, reachable: 1, sent: 6, received: 3, rttMs: null, unreachable: [{ from: 'b02-g0001', to: '10.2.0.128' }] },
  ] }] };
  const page = renderReport({ title: 'three', runId: 'r3', plan: undefined, summary: small.summary, series: small.series, status: FINISHED, netProbe });
  const section = page.slice(page.indexOf('<h2>Guest networks</h2>'), page.indexOf('<h2>Boards</h2>'));
  assert.match(section, /<td>1<\/td><td>lan1<\/td><td>12 \/ 12<\/td><td>0\.0<\/td><td>0\.200<\/td><td>0\.440<\/td><td>0\.450<\/td><td>0\.458<\/td>/);
  assert.match(section, /<td>lan2<\/td><td>1 \/ 2<\/td><td>50\.0<\/td><td>–<\/td>/);
  assert.match(section, /repetition 1: b03: timeout/);
  assert.not.match(renderReport({ title: 'three', runId: 'r3', plan: undefined, summary: small.summary, series: small.series, status: FINISHED }), /Guest networks/);
});

test('a run with boards left out and lost, stopped early, says so before any figure', () => {
  const small = syntheticRun(3, 7);
  const t0 = small.summary.window!.from;
  const status = {
    ...FINISHED, aborted: true,
    leftOut: [{ board: 'b04', reason: 'offline when the run began' }],
    lost: [{ board: 'b02', phase: 'hold', reason: 'went offline', at: t0 + 130_000 }],
    problems: ['b03: guests.start: failed: no guest started: crun broke'],
  };
  const page = renderReport({ title: 'three', runId: 'r3', plan: undefined, summary: small.summary, series: small.series, status });
  const section = page.slice(page.indexOf('How the run went'), page.indexOf('Headline figures'));
  assert.ok(page.indexOf('How the run went') < page.indexOf('Headline figures'), 'before the headline');
  assert.match(section, /Stopped early/);
  assert.match(section, /<td>b04<\/td><td>left out<\/td><td>start<\/td><td><\/td><td>offline when the run began<\/td>/);
  assert.match(section, /<td>b02<\/td><td>lost<\/td><td>hold<\/td><td>130\.0<\/td><td>went offline<\/td>/);
  assert.match(section, /1 problem\(s\)[\s\S]*crun broke/);
  const killed = renderReport({ title: 'three', runId: 'r3', plan: undefined, summary: small.summary, series: small.series, status: { ...FINISHED, complete: false, aborted: true } });
  assert.match(killed, /stopped without finishing \(killed\)/);
});

test('renderComparison shows both runs, their differences and overlaid CDFs', () => {
  const other = syntheticRun(490, 99);
  const page = renderComparison({ runId: 'run-A', summary: big.summary }, { runId: 'run-B', summary: JSON.parse(JSON.stringify(other.summary)) });
  assert.ok(page.includes('run-A') && page.includes('run-B'));
  assert.is(page.match(/<html/g)?.length, 1);
  assert.match(page, /<svg id="compare-cdf"[^>]*><title/);
  assert.not.match(page, /https?:/);
  assert.ok(page.includes(formatNumber(other.summary.desk.energyJ - big.summary.desk.energyJ).replace(/^(\d)/, '+$1')));
});

test('renderComparison warns when the plans differ, naming the settings, and overlays both runs\' desk power; the deltas are data', () => {
  const other = syntheticRun(3, 5), mine = syntheticRun(3, 7);
  const powerOf = (r: typeof mine) => deskPowerLine(r.series.telemetry, r.summary.window);
  const a = { runId: 'run-A', summary: mine.summary, plan: { name: 'p', hold: 20_000, reboot: true, description: 'x' }, power: powerOf(mine) };
  const b = { runId: 'run-B', summary: other.summary, plan: { name: 'p', hold: 60_000, reboot: false, description: 'y' }, power: powerOf(other) };
  const { html: page, files } = renderComparisonFiles(a, b);
  assert.match(page, /class="warning"[^>]*><p><strong>The two runs' plans differ<\/strong>[^<]*: hold: 20000 → 60000, reboot: true → false\./);
  assert.ok(page.indexOf('class="warning"') < page.indexOf('Headline figures'), 'the warning comes first');
  assert.match(page, /<svg id="compare-power"[^>]*>/);
  assert.equal(files.map((f) => f.name), ['figure-compare-power.svg', 'figure-compare-power.csv', 'figure-compare-cdf.svg', 'figure-compare-cdf.csv']);
  const csv = files[1]!.content.trim().split('\r\n');
  assert.is(csv.length, 1 + a.power.length + b.power.length);
  const firstAt = (run: string) => Number(csv.find((r) => r.startsWith(run))!.split(',')[1]);
  for (const run of ['A run-A', 'B run-B']) assert.ok(firstAt(run) >= 0 && firstAt(run) < 1, `${run} aligned at its start: ${firstAt(run)} s`);
  assert.not.match(renderComparison({ ...a, plan: { ...a.plan, description: 'z' } }, a), /class="warning"/, 'same plan: no warning');
  assert.equal(comparedPlanDifferences(a, b).map((d) => d.path), ['hold', 'reboot']);
  const deltas = comparisonDeltas(a.summary, b.summary);
  const energy = deltas.find((d) => d.key === 'energy')!;
  assert.is(energy.diff, other.summary.desk.energyJ - mine.summary.desk.energyJ);
  assert.is(energy.changePct, (100 * energy.diff!) / mine.summary.desk.energyJ);
  assert.is(deltas.find((d) => d.key === 'cross-check')!.changePct, null, 'a percentage changes by points');
});

test.run();
