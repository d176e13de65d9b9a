/**
 * Goodput of the agent protocol over the paced in-memory cable (virtual time: what the
 * protocol costs, not the CPU), for a 2 MiB incompressible image at the bench points,
 * 115200 baud and 3 Mbaud with 16 ms one-way latency, clean and noisy. Printed for the record;
 * the assertions only catch a collapse (the bench over the link emulator measures for real).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rig, testImage, type TestImage } from './support/flash-rig.ts';
import { tempDir, type TempDir } from '../support/temp-dir.ts';

const fx = {} as { dir: TempDir; image: TestImage };

test.before(async () => {
  fx.dir = await tempDir('deskbox-flash-');
  fx.image = await testImage(fx.dir.path, { seed: 5, random: 2 * 1024 * 1024, name: 'incompressible' });
});
test.after(() => fx.dir.remove());

const cases = [
  { baud: 115_200, flipRate: 0, dropRate: 0, floor: 95 },
  { baud: 3_000_000, flipRate: 0, dropRate: 0, floor: 90 },
  { baud: 115_200, flipRate: 1e-4, dropRate: 5e-5, floor: 60 },
  { baud: 3_000_000, flipRate: 1e-4, dropRate: 5e-5, floor: 60 },
];

test('goodput, 2 MiB incompressible, 16 ms one-way latency (image bytes / elapsed, % of baud / 10)', async () => {
  for (const c of cases) {
    const lineRate = c.baud / 10;
    const r = rig({ bytesPerSecond: lineRate, latencyMs: 16, flipRate: c.flipRate, dropRate: c.dropRate, seed: 21 });
    try {
      const report = await r.flash(fx.image.file, { lineRate });
      assert.ok(r.board.committed?.payload.equals(fx.image.payload));
      const goodput = (100 * report.imageBytes) / (report.ms / 1000) / lineRate;
      const overhead = (100 * (report.wireBytes - report.imageBytes)) / report.imageBytes;
      const noise = c.flipRate ? `, noise ${c.flipRate}/${c.dropRate} per byte` : '';
      console.log(`  ${c.baud} baud${noise}: goodput ${goodput.toFixed(1)}% of line, ${(report.ms / 1000).toFixed(2)} s, wire overhead ${overhead.toFixed(2)}%, ${report.retransmits} retransmits`);
      assert.ok(goodput >= c.floor, `${c.baud} baud${noise}: ${goodput.toFixed(1)}% < ${c.floor}%`);
    } finally {
      r.close();
    }
  }
});

test.run();
