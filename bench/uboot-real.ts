/**
 * deskbox's U-Boot path against a real U-Boot: Debian's u-boot-qemu (2023.01) in
 * qemu-system-arm's `virt` machine, its console on a pty (host/flash/qemu-board.ts), beside
 * lrzsz's `sb -k` (YMODEM-1K) sending the same image to the same U-Boot's `loady` on the same
 * pty, alternating, in one run. Both are timed from `loady` typed to the end of the transfer
 * (deskbox: U-Boot's prompt after it; sb: its exit after U-Boot's last ACK, which the prompt
 * follows at once): goodput = image bytes / that time. deskbox runs `flashOne` as
 * `deskbox flash --port` does; its whole flash (prompt probe, loady, crc32, the profile's
 * write step, reset) is a row too. Each sb transfer is checked with U-Boot's crc32 after it.
 *
 * sb gets the pty as its stdin and stdout, as a user runs it, with no relay in between. A file
 * descriptor held on the pty throughout keeps QEMU from seeing the console closed between
 * runs (it would drop output until its 1 s reconnect timer fires).
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdtemp, open, readFile, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../platform/clock.ts';
import { crc32 } from '../images/format/crc32.ts';
import { buildBoardImage } from '../images/build-board.ts';
import { flashOne } from '../host/flash/flash-one.ts';
import { BUILTIN_PROFILES } from '../host/flash/uboot-profile.ts';
import { startQemuBoard, type QemuBoard } from '../host/flash/qemu-board.ts';
import { median, printRows, spread } from './lib/stats.ts';
import { atPrompt, BenchError, deadline, sbRun, TRANSFER_TIMEOUT_MS } from './lib/uboot-console.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const KB = 1024;
/** Payload of the image's agent: ~10 s a transfer at the rate QEMU's emulated UART takes. */
const AGENT_BYTES = 128 * KB;
const profile = BUILTIN_PROFILES['qemu-arm']!;

/** One `flashOne` through U-Boot: ms from `loady` to the prompt after the transfer, and the whole flash. */
async function deskboxRun(board: QemuBoard, image: string): Promise<{ transferMs: number; flashMs: number }> {
  await atPrompt(board.pty);
  const r = await deadline(flashOne({ label: 'qemu', port: board.pty }, {
    imageFile: image, method: 'uboot', profile, baud: 115200, clock: systemClock(), retries: 0,
    onResetNeeded: () => { void board.reset(); },
  }), TRANSFER_TIMEOUT_MS, () => 'no deskbox flash result');
  if (!r.ok) throw new BenchError(`deskbox flash failed: ${r.error!.code}: ${r.error!.message}`);
  return { transferMs: r.uboot!.transferMs, flashMs: r.ms };
}

const work = await mkdtemp(join(tmpdir(), 'deskbox-bench-uboot-real-'));
let board: QemuBoard | undefined;
let holder: FileHandle | undefined;
try {
  await writeFile(join(work, 'agent.mjs'), randomBytes(AGENT_BYTES));
  const image = (await buildBoardImage({ out: join(work, 'board.dbi'), agent: join(work, 'agent.mjs'), agentVersion: '0.0.1', guests: [], type: 'sim', name: 'bench', version: '1', arch: 'x86_64' })).file;
  const bytes = (await readFile(image)).length;
  const ours = crc32(await readFile(image)).toString(16).padStart(8, '0');
  board = await startQemuBoard(work);
  holder = await open(board.pty, constants.O_RDWR | constants.O_NOCTTY);
  await board.reset();
  const deskbox: { transferMs: number; flashMs: number }[] = [];
  const sb: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    sb.push(await sbRun(board.pty, holder, image));
    const check = await atPrompt(board.pty, { line: `crc32 0x40200000 ${bytes.toString(16)}`, answer: /==> [0-9a-f]{8}\r?\n=> $/ });
    if (!check.includes(`==> ${ours}`)) throw new BenchError(`sb's transfer arrived damaged: U-Boot says ${check.trim()}, the image's CRC-32 is ${ours}`);
    deskbox.push(await deskboxRun(board, image));
  }
  const kbs = (ms: number) => bytes / KB / (ms / 1000);
  const sbRate = sb.map(kbs);
  const dbRate = deskbox.map((d) => kbs(d.transferMs));
  const flashS = deskbox.map((d) => d.flashMs / 1000);
  const ratio = median(dbRate) / median(sbRate);
  printRows(`U-Boot 2023.01 (qemu-system-arm virt, -m 256) loady, ${(bytes / KB).toFixed(0)} KB image, KB/s from loady to the end of the transfer, medians of ${RUNS} runs`, [
    { what: 'baseline: lrzsz sb -k (YMODEM-1K) -> loady', median: median(sbRate), unit: 'KB/s', range: spread(sbRate), note: `${(median(sb) / 1000).toFixed(2)} s a transfer` },
    { what: 'deskbox flash --method uboot, same image', median: median(dbRate), unit: 'KB/s', range: spread(dbRate), note: `${ratio.toFixed(2)}x sb; ${(median(deskbox.map((d) => d.transferMs)) / 1000).toFixed(2)} s a transfer` },
    { what: 'deskbox whole flash (probe, loady, crc32, write step, reset)', median: median(flashS), unit: 's', range: spread(flashS) },
  ]);
} finally {
  await holder?.close();
  await board?.close();
  await rm(work, { recursive: true, force: true });
}
