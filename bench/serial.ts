/**
 * File transfer over a board's console through the link emulator (host/desk/link-emulator.ts):
 * lrzsz's YMODEM-1K (`sb -k` on the host end, `rb` on the board end) for a 256 KB random file,
 * as goodput (file bytes / time from starting both ends to rb's exit) in % of the line rate
 * (baud / 10 bytes a second, 8N1). The deskbox protocol's figures belong beside these.
 *
 * The ceiling printed with each row is what a stop-and-wait protocol with 1 KB blocks could
 * do on that link (block + ACK on the wire, plus a round trip each); lrzsz also spends ~3 s of
 * its own timers per transfer (rb waits 1 s before its first 'C', after the EOT, and before
 * the end-of-batch header), which weighs most on the fast links.
 */
import type { LinkSettings } from '../host/desk/link-emulator.ts';
import { lrzszGoodput } from './serial-baseline.ts';
import { median, printRows, spread, type Row } from './lib/stats.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const FILE_BYTES = 256 * 1024;

const cases: { baud: number; latencyMs: number; byHand: string }[] = [
  { baud: 115200, latencyMs: 16, byHand: '60%' },
  { baud: 115200, latencyMs: 1, byHand: '76%' },
  { baud: 3_000_000, latencyMs: 16, byHand: '8%' },
];

/** 1 KB of data per 1029-byte YMODEM-1K block, one ACK byte back, a round trip per block. */
function stopAndWaitCeiling({ baud, latencyMs }: { baud: number; latencyMs: number }): number {
  const blockMs = ((1029 + 1) * 10_000) / baud + 2 * latencyMs;
  return (100 * (1024 / blockMs) * 1000) / (baud / 10);
}

const rows: Row[] = [];
for (const c of cases) {
  const settings: LinkSettings = { baud: c.baud, latencyMs: c.latencyMs, bitErrorRate: 0, dropRate: 0 };
  const r = await lrzszGoodput(settings, FILE_BYTES, RUNS);
  rows.push({
    what: `lrzsz YMODEM-1K, ${c.baud} baud, ${c.latencyMs} ms`,
    median: median(r.percentOfLine),
    unit: '%',
    range: spread(r.percentOfLine),
    note: `${(median(r.bytesPerSecond) / 1024).toFixed(1)} KB/s; stop-and-wait ceiling ${stopAndWaitCeiling(c).toFixed(0)}%; by hand ${c.byHand}`,
  });
}
printRows(`serial goodput, ${FILE_BYTES / 1024} KB file, % of line rate (baud / 10 B/s), ${RUNS} runs each, medians`, rows);
