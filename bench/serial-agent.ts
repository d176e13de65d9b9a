/**
 * The boards of the serial benchmark, in a process of their own: on each board's end of a
 * link, the agent's flash receiver on the real serialport binding, landing images through
 * the board's real storage (slot target: staging, delta by block hash, whole-image check on
 * commit). One process for all sixteen boards rather than one each: the bench machine has two
 * cores, the parallel figure asks whether the host keeps sixteen lines full at once, and the
 * boards' CPU is reported beside it (serial-rig.ts) to show when they, not the host, limit it.
 *
 * Requests: open {boards: [{port, flashDir}], baud, key} -> null; cpu -> CPU used so far; close.
 */
import { serialportBinding } from '../board/hal/serial/serialport.ts';
import type { SerialLink } from '../platform/hal/serial.ts';
import { systemClock } from '../platform/clock.ts';
import { memoryLogger } from '../platform/log.ts';
import { openFlashSlots } from '../board/flash/slots.ts';
import { createSlotTarget } from '../board/flash/slot-target.ts';
import { parsePublicKey } from '../images/format/keys.ts';
import { createFlashReceiver, type FlashReceiver } from '../images/serial/receiver.ts';
import { serveParent } from './lib/child.ts';

const links: SerialLink[] = [];
const receivers: FlashReceiver[] = [];
let closing: Promise<void> | undefined;

serveParent(async (msg) => {
  switch (msg.op) {
    case 'open': {
      const { boards, baud, key } = msg as unknown as { boards: { port: string; flashDir: string }[]; baud: number; key: string };
      const keys = [parsePublicKey(key)];
      const clock = systemClock();
      for (const [board, b] of boards.entries()) {
        const link = await serialportBinding().open(b.port, { baudRate: baud });
        links.push(link);
        // The bench's output is its figures: the boards log to memory.
        const logger = memoryLogger(`board${board}`);
        receivers.push(createFlashReceiver({
          link, clock, logger,
          openTarget: async () => createSlotTarget({ slots: openFlashSlots(b.flashDir), booted: 'a', keys, boardType: 'sim', logger }),
          // A long bench would otherwise hold every log record of every session.
          onSession: () => { logger.records.length = 0; },
        }));
      }
      return null;
    }
    case 'cpu': {
      const own = process.cpuUsage();
      return { nodeMs: (own.user + own.system) / 1000 };
    }
    default:
      throw new Error(`unknown op ${String(msg.op)}`);
  }
}, () => (closing ??= (async () => {
  for (const r of receivers) r.close();
  await Promise.all(links.map((l) => l.close().catch(() => undefined)));
})()));
