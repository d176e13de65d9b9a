/**
 * The `slot` self-check: the image in the slot the board booted from, read again whole the way
 * the boot program reads it (header, manifest signature against the board's trusted keys,
 * every block, the payload hash) and compared with what it booted. Flash that rots under a
 * running board shows here before the next boot fails on it; the board can still be recovered
 * from the other slot or by a reflash.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { PublicKey } from '../../images/format/keys.ts';
import { openImageStream } from '../../images/read-stream.ts';
import type { BootInfo } from './boot-info.ts';
import type { HealthCheck } from '../ops/health-check.ts';

export function slotCheck(boot: BootInfo, keys: readonly PublicKey[]): HealthCheck {
  const name = `slot ${boot.slot}`;
  return {
    name: 'slot',
    async run() {
      const size = (await stat(boot.slotFile)).size;
      const { head, payload } = await openImageStream(createReadStream(boot.slotFile, { highWaterMark: 1 << 20 }), { name, keys, fileSize: size });
      for await (const _ of payload) { /* each block is verified as it passes */ }
      const m = head.manifest;
      if (m.payload.sha256 !== boot.image.sha256) return { ok: false, detail: `${name} now holds ${m.name} ${m.version}, not the image the board booted (${boot.image.name} ${boot.image.version})` };
      return { ok: true, detail: `${name}: ${m.name} ${m.version} verifies (${(size / (1 << 20)).toFixed(1)} MiB)` };
    },
  };
}
