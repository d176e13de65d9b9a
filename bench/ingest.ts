/**
 * Telemetry ingest: N telemetry messages from 490 boards (round-robin, pre-encoded through the
 * contract's `encode`) through TelemetryStore.ingest() and a final flush, beside raw
 * better-sqlite3 inserts of the same rows into the same schema in transactions of the same
 * size, without decoding or validation. Two more rows say where the difference goes: the
 * store's decoding alone (topic parse + JSON.parse + schema validation) and JSON.parse alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode, encode } from '../broker/contract/messages.ts';
import { boardTopic, parseBoardTopic } from '../broker/contract/topics.ts';
import { openTelemetryStore } from '../host/store/telemetry-store.ts';
import { openTelemetryDatabase } from '../host/store/schema.ts';
import { median, printRows, spread } from './lib/stats.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const N = Number(process.env.BENCH_INGEST_N ?? 500_000);
const BOARDS = 490;
const BATCH_ROWS = Number(process.env.BENCH_INGEST_BATCH ?? 1000);
const DESK = 'bench';
const T0 = 1_764_072_000_000;

// Columns of every sample, so the baseline binds the very values the payloads carry.
const column = () => new Float64Array(N);
const cols = { at: column(), seq: column(), powerW: column(), energyJ: column(), cpu: column(), memBytes: column(), running: column() };
const boards = Array.from({ length: BOARDS }, (_, b) => `b${String(b + 1).padStart(3, '0')}`);
const topics = boards.map((board) => boardTopic(DESK, board, 'telemetry'));
const payloads: Buffer[] = new Array(N);
for (let i = 0; i < N; i++) {
  const seq = Math.floor(i / BOARDS);
  const jitter = ((i * 7919) % 1000) / 1000;
  const powerW = (cols.powerW[i] = Math.round((1 + jitter) * 1000) / 1000);
  const running = (cols.running[i] = (i * 31) % 60);
  payloads[i] = Buffer.from(encode('telemetry', {
    v: 1, board: boards[i % BOARDS]!, at: (cols.at[i] = T0 + seq * 2000 + (i % BOARDS)), seq: (cols.seq[i] = seq), uptimeS: seq * 2,
    powerW, volts: 5, amps: powerW / 5, energyJ: (cols.energyJ[i] = seq * 2 * powerW), cpu: (cols.cpu[i] = jitter / 10),
    memBytes: (cols.memBytes[i] = 50_000_000 + (i % 4096) * 1024),
    guests: { runtime: 'crun', running, ready: running, failed: 0, bootMs: { p50: 23.1, p95: 41, max: 55.2, count: running } },
  }));
}
const payloadBytes = payloads.reduce((sum, p) => sum + p.length, 0);

const work = mkdtempSync(join(tmpdir(), 'deskbox-bench-ingest-'));
const timeMs = (fn: () => void) => { const t = performance.now(); fn(); return performance.now() - t; };
const rate = (ms: number) => N / ms; // thousand samples per second
const result = { ingest: [] as number[], baseline: [] as number[], decode: [] as number[], parse: [] as number[] };
try {
  for (let run = 0; run < RUNS; run++) {
    const runDir = mkdtempSync(join(work, 'run-'));
    const store = openTelemetryStore(join(runDir, 'store.sqlite'), { desk: DESK, batchRows: BATCH_ROWS });
    result.ingest.push(rate(timeMs(() => {
      for (let i = 0; i < N; i++) store.ingest(topics[i % BOARDS]!, payloads[i]!, T0 + i);
      store.flush();
    })));
    const counts = store.counts();
    store.close();
    if (counts.telemetry !== N || counts.malformed !== 0 || counts.lostTelemetry !== 0) throw new Error(`ingest stored ${JSON.stringify(counts)}, expected ${N} clean samples`);

    const db = openTelemetryDatabase(join(runDir, 'baseline.sqlite'));
    const insert = db.prepare('INSERT INTO telemetry VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const batch = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const c = cols;
        const seq = c.seq[i]!;
        const powerW = c.powerW[i]!;
        insert.run(boards[i % BOARDS], c.at[i], T0 + i, seq, seq * 2, powerW, 5, powerW / 5, c.energyJ[i], c.cpu[i], c.memBytes[i], c.running[i], c.running[i], 0);
      }
    });
    result.baseline.push(rate(timeMs(() => { for (let i = 0; i < N; i += BATCH_ROWS) batch.immediate(i, Math.min(N, i + BATCH_ROWS)); })));
    db.close();

    let valid = 0;
    result.decode.push(rate(timeMs(() => {
      for (let i = 0; i < N; i++) if (parseBoardTopic(topics[i % BOARDS]!) && decode('telemetry', payloads[i]!).ok) valid++;
    })));
    let parsed = 0;
    result.parse.push(rate(timeMs(() => { for (let i = 0; i < N; i++) parsed += JSON.parse(payloads[i]!.toString()).seq >= 0 ? 1 : 0; })));
    if (valid !== N || parsed !== N) throw new Error(`decode accepted ${valid}, JSON.parse ${parsed} of ${N}`);
    rmSync(runDir, { recursive: true, force: true });
  }
  const [ingest, baseline, decodeOnly, parseOnly] = [median(result.ingest), median(result.baseline), median(result.decode), median(result.parse)];
  const us = (kPerS: number) => 1000 / kPerS; // microseconds per sample
  printRows(`telemetry ingest, ${N} samples from ${BOARDS} boards (${(payloadBytes / N).toFixed(0)} B each), ${BATCH_ROWS} rows a commit, ${RUNS} runs (k samples/s)`, [
    { what: 'TelemetryStore.ingest() + flush', median: ingest, unit: 'k/s', range: spread(result.ingest), note: `${(ingest / baseline).toFixed(2)}x baseline, ${us(ingest).toFixed(2)} us a sample` },
    { what: 'baseline: raw inserts, same rows', median: baseline, unit: 'k/s', range: spread(result.baseline), note: `${us(baseline).toFixed(2)} us a sample` },
    { what: 'decode only (topic + JSON + schema)', median: decodeOnly, unit: 'k/s', range: spread(result.decode), note: `${us(decodeOnly).toFixed(2)} us a sample, ${(100 * us(decodeOnly) / us(ingest)).toFixed(0)}% of ingest` },
    { what: 'JSON.parse only', median: parseOnly, unit: 'k/s', range: spread(result.parse), note: `${us(parseOnly).toFixed(2)} us a sample` },
  ]);
  process.stdout.write(`\n  target >= 50 k/s through ingest(): ${ingest >= 50 ? 'met' : 'NOT met'}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
