/**
 * Telling a U-Boot crash or reset from its console, as Debian's qemu_arm U-Boot printed them
 * when `loady 0x82000000` wrote its first block where the virt machine has no RAM.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { systemClock } from '../../platform/clock.ts';
import { findUpset, printableLines, watchUpsets } from '../../host/flash/uboot-upsets.ts';
import { memoryLine } from '../images/lossy-line.ts';

const LOADY = '=> loady 0x82000000\r\n## Ready for binary (ymodem) download to 0x82000000 at 115200 bps...\r\nC\x06C';
const ABORT = [
  'data abort',
  'pc : [<4ff39b70>]\t   lr : [<55555555>]',
  'reloc pc : [<00001b70>]\t   lr : [<0561d555>]',
  'sp : 4edf78ec  ip : 55555555\t fp : 4ff5f28c',
  'Flags: nzCv  IRQs off  FIQs off  Mode SVC_32',
  'Code: f5d1f05c f5d1f07c e8b151f8 e2522020 (e8a051f8) ',
  'Resetting CPU ...',
  '',
  'resetting ...',
  '',
  '',
  'U-Boot 2023.01+dfsg-2+deb12u3 (Jun 22 2026 - 08:38:07 +0000)',
  '',
  'DRAM:  256 MiB',
].join('\r\n');
const GOOD = [
  '=> loady 0x40200000', '## Ready for binary (ymodem) download to 0x40200000 at 115200 bps...',
  'C\x06C\x06\x06\x06\x15\x06C\x06## Total Size      = 0x00019497 = 103575 Bytes', '## Start Addr      = 0x40200000',
  '=> crc32 0x40200000 19497', 'crc32 for 40200000 ... 40219496 ==> ec056074', '=> ',
].join('\r\n');

test('findUpset: a data abort is a crash (not the reset it brings), a bare reset or banner a reset, a good load nothing', () => {
  assert.equal(findUpset(LOADY + ABORT), { kind: 'crash', signature: 'data abort', index: LOADY.length });
  for (const [text, kind, signature] of [
    ['prefetch abort\r\n', 'crash', 'prefetch abort'],
    ['undefined instruction\r\n', 'crash', 'undefined instruction'],
    ['"Synchronous Abort" handler, esr 0x96000004\r\n', 'crash', 'Synchronous Abort'],
    ['### ERROR ### Please RESET the board ###\r\n', 'crash', '### ERROR ###'],
    ['resetting ...\r\n', 'reset', 'resetting ...'],
    ['\r\n\r\nU-Boot SPL 2021.10 (Oct 01 2021)\r\n', 'reset', 'U-Boot SPL 2021.10'],
    ['\r\nU-Boot 2024.01-deskbox (simulated)\r\n', 'reset', 'U-Boot 2024.01'],
  ] as const) {
    assert.equal({ ...findUpset(LOADY + text), index: 0 }, { kind, signature, index: 0 }, text);
  }
  assert.is(findUpset(GOOD), undefined);
});

test('printableLines: YMODEM control bytes and blank lines go, tabs stay', () => {
  assert.equal(printableLines(`C\x06C${ABORT}`, 4), ['CCdata abort', 'pc : [<4ff39b70>]\t   lr : [<55555555>]', 'reloc pc : [<00001b70>]\t   lr : [<0561d555>]', 'sp : 4edf78ec  ip : 55555555\t fp : 4ff5f28c']);
});

test('watchUpsets: aborts at a signature split across chunks, then reports up to the next boot\'s banner', async () => {
  const line = memoryLine(() => 0.5);
  const watch = watchUpsets(line.b, systemClock());
  try {
    await line.a.write(GOOD);
    await line.a.write(LOADY + ABORT.slice(0, 6));
    await new Promise((r) => setImmediate(r));
    assert.not.ok(watch.signal.aborted, 'no upset in a good transfer, nor in half a word');
    const aborted = new Promise<void>((resolve) => watch.signal.addEventListener('abort', () => resolve()));
    await line.a.write(ABORT.slice(6));
    await aborted;
    assert.match(String(watch.signal.reason), /U-Boot printed "data abort"/);
    const started = performance.now();
    const upset = await watch.describe();
    assert.ok(performance.now() - started < 2500, 'the report waits for quiet, not forever');
    assert.is(upset.kind, 'crash');
    assert.is(upset.lines[0], 'data abort');
    assert.is(upset.lines.at(-1), 'U-Boot 2023.01+dfsg-2+deb12u3 (Jun 22 2026 - 08:38:07 +0000)');
    assert.ok(upset.lines.includes('resetting ...'));
  } finally {
    watch.close();
  }
});

test.run();
