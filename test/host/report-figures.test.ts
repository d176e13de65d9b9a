/**
 * The report's figures as drawn: each with its own SVG (well formed, checked by a real
 * browser's XML parser) and CSV (the data it plots) linked from the page; lines broken at a
 * board's silence, counts as steps, nothing outside the axes, boards told apart.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chromium } from 'playwright-core';
import { summarizeRun, type TelemetryRow } from '../../host/analysis/summary.ts';
import { deskPowerLine } from '../../host/report/charts.ts';
import { renderComparisonFiles } from '../../host/report/comparison.ts';
import { renderReportFiles } from '../../host/report/report.ts';
import { findChromium } from '../support/chromium.ts';

const T = 1_700_000_000_000;
const FINISHED = { complete: true, aborted: false, quit: false, leftOut: [], lost: [], problems: [] };

/** Boards sampled every second for 120 s; b02 reboots (silent 40 s to 52 s); guests ramp up in steps. */
function run(boardCount: number) {
  const boards = Array.from({ length: boardCount }, (_, i) => `b${String(i + 1).padStart(2, '0')}`);
  const telemetry: TelemetryRow[] = [];
  boards.forEach((board, k) => {
    for (let s = -3; s <= 123; s++) {
      if (board === 'b02' && s > 40 && s < 52) continue;
      const guests = Math.max(0, Math.min(8, Math.floor((s - 60) / 3)));
      // Samples before and after the run reach past the axes: they must be cut at the plot's edge.
      telemetry.push({ board, at: T + s * 1000 + k * 37, powerW: 1 + guests * 0.2 + (s === 52 ? 4 : 0), energyJ: 0, guestsRunning: guests });
    }
  });
  const marks = [['repetition-start', 0], ['boot-start', 30], ['boards-ready', 55], ['launch-start', 60], ['launch-end', 90], ['hold-end', 110], ['stop-end', 120]]
    .map(([name, s]) => ({ name: name as string, at: T + (s as number) * 1000 }));
  const guestBoots = boards.flatMap((board) => Array.from({ length: 8 }, (_, g) => ({ board, guest: `g${g}`, bootMs: 600 + 90 * g + board.length * 7, at: T + (63 + 3 * g) * 1000 })));
  const series = { telemetry, bootPhases: [], guestBoots, marks };
  const summary = summarizeRun({ boards, ...series, counts: { malformed: 0, lostTelemetry: 0 } });
  return { boards, series, summary, ...renderReportFiles({ title: 't', runId: 'r1', plan: { reboot: true }, summary, series, status: FINISHED }) };
}

/** RFC 4180 as written: quoted fields with doubled quotes, CRLF rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [], field = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; } else if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; } else field += c;
  }
  assert.is(field + row.join(''), '', 'the CSV ends with a line end');
  return rows;
}

const svgOf = (html: string, id: string) => html.match(new RegExp(`<svg id="${id}"[\\s\\S]*?</svg>`))![0];
/** The plot area from the axis lines: x from the y axis to the x axis' end, y from the top of the y axis to the x axis. */
function axesBox(svg: string) {
  const h = svg.match(/<line class="axis" x1="([\d.]+)" x2="([\d.]+)" y1="([\d.]+)" y2="\3"\/>/)!;
  const v = svg.match(/<line class="axis" x1="([\d.]+)" x2="\1" y1="([\d.]+)" y2="([\d.]+)"\/>/)!;
  return { x0: Number(v[1]), x1: Number(h[2]), y0: Number(v[2]), y1: Number(h[3]) };
}
const pathsOf = (svg: string) => [...svg.matchAll(/<path(?: class="([^"]*)")? d="([^"]+)">(?:<title>([^<]*)<\/title>)?/g)].map((m) => ({ cls: m[1] ?? '', d: m[2]!, title: m[3] ?? '' }));
const subpaths = (d: string) => d.split('M').filter(Boolean).map((sp) => sp.split('L').map((xy) => xy.trim().split(' ').map(Number) as [number, number]));

const small = run(3);

test('every figure links its own SVG and CSV, and the files are there to write beside the page', () => {
  const ids = [...small.html.matchAll(/<figure id="fig-([a-z-]+)"/g)].map((m) => m[1]!);
  assert.equal(ids, ['boot-cdf', 'guests-desk', 'guests-board', 'power-desk', 'power-board', 'energy-board', 'jpb-board']);
  const names = small.files.map((f) => f.name);
  for (const id of ids) {
    for (const ext of ['svg', 'csv']) {
      assert.ok(small.html.includes(`href="figure-${id}.${ext}"`), `${id} links its ${ext}`);
      assert.ok(names.includes(`figure-${id}.${ext}`), `figure-${id}.${ext} is written`);
    }
  }
  assert.is(names.length, 14);
  assert.not.match(small.html, /https?:/, 'the page itself stays free of links out');
});

test('each CSV parses and holds the series its figure plots', () => {
  const csv = (id: string) => parseCsv(small.files.find((f) => f.name === `figure-${id}.csv`)!.content);
  const board = csv('power-board');
  assert.equal(board[0], ['series', 'time since run start (s)', 'power (W)']);
  const t0 = small.summary.window!.from;
  for (const b of small.boards) {
    const mine = small.series.telemetry.filter((r) => r.board === b).map((r) => [b, String((r.at - t0) / 1000), String(r.powerW)]);
    assert.equal(board.filter((r) => r[0] === b), mine, b);
  }
  const desk = csv('power-desk');
  assert.equal(desk.slice(1).map((r) => [Number(r[1]), Number(r[2])]), deskPowerLine(small.series.telemetry, small.summary.window));
  const energy = csv('energy-board');
  assert.equal(energy[0], ['boards, highest first (3)', 'energy (J)'], 'a header with a comma is quoted');
  assert.equal(energy.slice(1).map((r) => [r[0], Number(r[1])]).sort(), small.summary.boards.map((b) => [b.board, b.energyJ]).sort());
});

test('lines: broken over a reboot, counts as steps, nothing outside the axes; per-board colours with a legend', () => {
  const power = svgOf(small.html, 'power-board');
  const box = axesBox(power);
  for (const id of ['guests-desk', 'guests-board', 'power-desk', 'power-board', 'boot-cdf']) {
    const svg = svgOf(small.html, id);
    for (const p of pathsOf(svg)) {
      for (const sp of subpaths(p.d)) for (const [x, y] of sp) assert.ok(x >= box.x0 && x <= box.x1 && y >= box.y0 && y <= box.y1, `${id} ${p.title}: (${x}, ${y}) outside ${JSON.stringify(box)}`);
    }
  }
  const line = (svg: string, title: string) => pathsOf(svg).find((p) => p.title === title)!;
  assert.is(subpaths(line(power, 'b02').d).length, 2, 'b02 is drawn in two pieces, not across its 12 s of silence');
  assert.is(subpaths(line(power, 'b01').d).length, 1);
  for (const sp of subpaths(line(svgOf(small.html, 'guests-board'), 'b01').d)) {
    for (let i = 1; i < sp.length; i++) assert.ok(sp[i]![0] === sp[i - 1]![0] || sp[i]![1] === sp[i - 1]![1], `guests: a sloped piece ${sp[i - 1]} → ${sp[i]}`);
  }
  const classes = small.boards.map((b) => line(power, b).cls);
  assert.equal(classes, ['each k0', 'each k1', 'each k2']);
  for (const [i, b] of small.boards.entries()) assert.match(power, new RegExp(`<line class="${classes[i]}"[^>]*/><text[^>]*>${b}</text>`), `legend entry for ${b}`);
  // Past 16 boards: faint, one legend entry for them all, and the caption says why.
  const many = run(40);
  const manyPower = svgOf(many.html, 'power-board');
  assert.match(manyPower, /<g class="light" stroke-opacity="[\d.]+">/);
  assert.match(manyPower, /each board \(40\)/);
  assert.not.match(manyPower, /class="each k/);
  assert.match(many.html, /each of the 40 boards a faint line \(more than 16: too many to tell apart/);
});

test('the SVG files are well formed: a real browser parses each as an SVG document', async () => {
  const compare = renderComparisonFiles({ runId: 'A', summary: small.summary, power: deskPowerLine(small.series.telemetry, small.summary.window) }, { runId: 'B', summary: small.summary, power: [] });
  const svgs = [...small.files, ...compare.files].filter((f) => f.name.endsWith('.svg'));
  assert.ok(svgs.some((f) => f.name === 'figure-compare-power.svg'));
  const browser = await chromium.launch({ executablePath: findChromium(), args: ['--headless', '--no-sandbox'] });
  try {
    const page = await browser.newPage();
    const results = await page.evaluate((texts) => texts.map((t) => {
      const doc = new DOMParser().parseFromString(t, 'image/svg+xml');
      return { error: doc.getElementsByTagName('parsererror').length > 0, root: doc.documentElement.namespaceURI, paths: doc.getElementsByTagName('path').length + doc.querySelectorAll('.bars rect').length };
    }), svgs.map((f) => f.content));
    results.forEach((r, i) => {
      assert.not.ok(r.error, `${svgs[i]!.name} parses`);
      assert.is(r.root, 'http://www.w3.org/2000/svg', svgs[i]!.name);
      assert.ok(r.paths > 0, `${svgs[i]!.name} draws something`);
    });
  } finally {
    await browser.close();
  }
});

test.run();
