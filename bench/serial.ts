/**
 * Flashing over a board's console through the link emulator (host/desk/link-emulator.ts), in
 * one run, each figure beside its baseline:
 *   goodput      deskbox's agent protocol (sendImage -> receiver + slot target, real ptys and
 *                the real serialport binding on both ends) for an incompressible board image,
 *                as image bytes / time to RESULT, beside lrzsz's YMODEM-1K on the same link
 *   compression  the desk's board image (agent bundle + busybox guest) vs its raw line time
 *   delta        a 64 MB image with 1 MB changed, onto a board holding the old one
 *   parallel     16 boards flashed at once vs one alone
 * Goodput is in % of the line rate (baud / 10 bytes a second, 8N1).
 *
 * lrzsz's stop-and-wait ceiling is printed with its rows: 1 KB blocks, each waiting for its
 * ACK a round trip away; lrzsz also spends ~3 s of its own timers per transfer (rb waits 1 s
 * before its first 'C', after the EOT, and before the end-of-batch header).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LinkSettings } from '../host/desk/link-emulator.ts';
import { lrzszGoodput } from './serial-baseline.ts';
import { benchImages } from './serial-images.ts';
import { measureFlashes, percentOfLine, withRig } from './serial-deskbox.ts';
import { median, printRows, spread, type Row } from './lib/stats.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** Also the lrzsz rows no deskbox figure stands beside (~2 more minutes). */
const ALL = process.env.BENCH_SERIAL_ALL === '1';
const KB = 1024;
const MB = 1024 * 1024;
const link = (baud: number, latencyMs: number): LinkSettings => ({ baud, latencyMs, bitErrorRate: 0, dropRate: 0 });
const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

function stopAndWaitCeiling({ baud, latencyMs }: LinkSettings): number {
  const blockMs = ((1029 + 1) * 10_000) / baud + 2 * latencyMs;
  return (100 * (1024 / blockMs) * 1000) / (baud / 10);
}

async function lrzszRow(settings: LinkSettings, bytes: number, runs: number, byHand?: string): Promise<Row & { bytesPerSecond: number }> {
  const r = await lrzszGoodput(settings, bytes, runs);
  const bytesPerSecond = median(r.bytesPerSecond);
  return {
    what: `lrzsz YMODEM-1K, ${bytes / KB} KB, ${settings.baud} baud, ${settings.latencyMs} ms${runs === 1 ? ' (1 run)' : ''}`,
    median: median(r.percentOfLine), unit: '%', range: spread(r.percentOfLine), bytesPerSecond,
    note: `${(bytesPerSecond / KB).toFixed(1)} KB/s; stop-and-wait ceiling ${stopAndWaitCeiling(settings).toFixed(0)}%${byHand ? `; by hand ${byHand}` : ''}`,
  };
}

const work = await mkdtemp(join(tmpdir(), 'deskbox-bench-serial-'));
try {
  const images = benchImages(work);
  const publicKey = images.publicKey;
  const other = await images.random('other', 64 * KB);

  // 1. Goodput: the agent's image at each link setting beside lrzsz on a file of about its size.
  const goodput: Row[] = [];
  const cases = [
    { settings: link(115200, 16), bytes: 256 * KB, lrzszRuns: RUNS, target: '>= 95%, >= 1.5x lrzsz' },
    // 2 MB keeps lrzsz's fixed 3 s from flattering deskbox, but takes lrzsz ~75 s a run.
    { settings: link(3_000_000, 16), bytes: 2 * MB, lrzszRuns: 1, target: '>= 80%, >= 8x lrzsz' },
  ];
  for (const c of cases) {
    const base = await lrzszRow(c.settings, c.bytes, c.lrzszRuns);
    const image = await images.random(`goodput-${c.settings.baud}`, c.bytes);
    const m = await withRig({ settings: c.settings, boards: 1, publicKey }, (rig) => measureFlashes(rig, { image, slotA: other, runs: RUNS }));
    const imageBytes = m.flashes[0]![0]!.imageBytes;
    const pct = m.ms.map((ms) => percentOfLine(imageBytes, ms, c.settings.baud));
    const bytesPerSecond = imageBytes / (median(m.ms) / 1000);
    goodput.push(base, {
      what: `deskbox agent protocol, ${(imageBytes / KB).toFixed(0)} KB image, same link`,
      median: median(pct), unit: '%', range: spread(pct),
      note: `${(bytesPerSecond / KB).toFixed(1)} KB/s, ${x(bytesPerSecond, base.bytesPerSecond)} lrzsz (target ${c.target}); ${m.cpu}`,
    });
  }
  if (ALL) {
    goodput.push(await lrzszRow(link(115200, 1), 256 * KB, RUNS, '76%'));
    goodput.push(await lrzszRow(link(3_000_000, 16), 256 * KB, RUNS, '8%'));
  }
  printRows(`serial goodput, % of line rate, medians of ${RUNS} runs unless noted`, goodput);

  // 2-4 at 3 Mbaud: at 115200 the busybox image alone would take ~100 s a run.
  const fast = link(3_000_000, 16);
  const lineMs = (bytes: number) => (bytes * 10_000) / fast.baud;
  const rows: Row[] = [];
  const busybox = await images.busybox();
  const delta = await images.delta(64 * MB, MB);
  const parallelImage = await images.random('parallel', 512 * KB);
  await withRig({ settings: fast, boards: 16, publicKey }, async (rig) => {
    const c = await measureFlashes(rig, { image: busybox, slotA: other, runs: RUNS, boards: [0] });
    const raw = c.flashes[0]![0]!;
    const factor = c.ms.map((ms) => lineMs(raw.imageBytes) / ms);
    rows.push({
      what: `compression: desk board image (agent + busybox guest), ${(raw.imageBytes / MB).toFixed(2)} MB`,
      median: median(factor), unit: 'x', range: spread(factor),
      note: `raw line time / elapsed (> 1: faster than raw); ${median(c.ms).toFixed(0)} ms vs ${lineMs(raw.imageBytes).toFixed(0)} ms raw; ${raw.report.wireBytes} wire bytes, blocks deflated to ${(100 * raw.report.compressedRatio).toFixed(0)}%; ${c.cpu}`,
    });

    const d = await measureFlashes(rig, { image: delta.after, slotA: delta.before, runs: RUNS, boards: [0] });
    const wire = d.flashes.map((r) => r[0]!.report.wireBytes / MB);
    const full = d.flashes[0]![0]!;
    rows.push({
      what: `delta: 64 MB image, 1 MB changed, wire bytes`, median: median(wire), unit: 'MB', range: spread(wire),
      note: `target <= 2 MB; ${full.report.wireBytes} bytes of ${full.imageBytes}; blocks ${JSON.stringify(full.report.blocks)}`,
    });
    rows.push({
      what: `delta: elapsed`, median: median(d.ms) / 1000, unit: 's', range: spread(d.ms.map((ms) => ms / 1000)),
      note: `the full image at line rate: ${(lineMs(full.imageBytes) / 1000).toFixed(0)} s; ${d.cpu}`,
    });

    const one = await measureFlashes(rig, { image: parallelImage, slotA: other, runs: RUNS, boards: [0] });
    const all = await measureFlashes(rig, { image: parallelImage, slotA: other, runs: RUNS });
    const bytes = one.flashes[0]![0]!.imageBytes;
    rows.push({ what: `parallel: one board alone, ${(bytes / KB).toFixed(0)} KB image`, median: median(one.ms), unit: 'ms', range: spread(one.ms), note: `${percentOfLine(bytes, median(one.ms), fast.baud).toFixed(0)}% of line; ${one.cpu}` });
    rows.push({
      what: `parallel: 16 boards at once (all committed)`, median: median(all.ms), unit: 'ms', range: spread(all.ms),
      note: `${x(median(all.ms), median(one.ms))} one board (target <= 1.2x); ${all.cpu}`,
    });
  });
  printRows(`compression, delta, parallel at ${fast.baud} baud, ${fast.latencyMs} ms, medians of ${RUNS} runs`, rows);
} finally {
  await rm(work, { recursive: true, force: true });
}
