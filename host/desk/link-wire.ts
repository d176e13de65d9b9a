/**
 * One direction of an emulated serial cable: bytes queue behind each other on the wire at
 * 10 bits each (8N1), arrive latencyMs after their last bit, meet noise on the way, and are
 * written to the receiving pty in batches.
 */
import type { SerialLink } from '../../platform/hal/serial.ts';

export interface WireStats {
  /** Bytes taken onto the wire from the sender while plugged. */
  bytes: number;
  /** Lost to noise (dropRate). */
  dropped: number;
  /** Delivered with one bit flipped (bitErrorRate). */
  flipped: number;
  /** Lost to a pulled cable: in flight when it was pulled, or sent while it was out. */
  unplugged: number;
  /** Delivered, but discarded because nobody on the receiving pty took them in time. */
  overrun: number;
}

interface WireSettings { baud: number; latencyMs: number; bitErrorRate: number; dropRate: number }

interface Segment { data: Buffer; delivered: number; wireStart: number; byteMs: number; latencyMs: number }

/**
 * Node's timers have 1 ms granularity anyway, and one timer per byte would cost a CPU at 3 Mbaud.
 * A stream is delivered in 2 ms batches (each costs a pty write and a tcdrain on the thread
 * pool); a lone byte, as in a ping-pong, on the next millisecond.
 */
const MIN_TICK_MS = 1;
const STREAM_TICK_MS = 2;
const TIMER_SLACK_MS = 0.5;
/** A receiver that has taken nothing for this long is not reading (its pty end is closed). */
const STALL_MS = 250;
/** What a stalled receiver still gets once it reads again: about a tty's own input buffer. */
const STALLED_KEEP = 4096;

export class LinkWire {
  private readonly counts: WireStats = { bytes: 0, dropped: 0, flipped: 0, unplugged: 0, overrun: 0 };
  private queue: Segment[] = [];
  private wireFreeAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private plugged = true;
  private stopped = false;
  private outbox: Buffer[] = [];
  private outboxBytes = 0;
  private writingSince: number | undefined;

  constructor(
    private readonly settings: () => WireSettings,
    private readonly random: () => number,
    private readonly receiver: Pick<SerialLink, 'write'>,
    private readonly tap: (delivered: Buffer) => void,
  ) {}

  stats(): WireStats {
    return { ...this.counts };
  }

  /** Bytes the sender wrote: they start on the wire once it is free. */
  enter(chunk: Buffer): void {
    if (this.stopped) return;
    if (!this.plugged) {
      this.counts.unplugged += chunk.length;
      return;
    }
    const { baud, latencyMs } = this.settings();
    const now = performance.now();
    const wireStart = Math.max(now, this.wireFreeAt);
    const byteMs = 10_000 / baud;
    this.wireFreeAt = wireStart + chunk.length * byteMs;
    this.queue.push({ data: chunk, delivered: 0, wireStart, byteMs, latencyMs });
    this.counts.bytes += chunk.length;
    this.schedule(now);
  }

  unplug(): void {
    this.plugged = false;
    for (const s of this.queue) this.counts.unplugged += s.data.length - s.delivered;
    this.queue = [];
    this.wireFreeAt = 0;
    this.cancelTimer();
  }

  plug(): void {
    this.plugged = true;
  }

  stop(): void {
    this.stopped = true;
    this.queue = [];
    this.outbox = [];
    this.outboxBytes = 0;
    this.cancelTimer();
  }

  private schedule(now: number): void {
    if (this.timer || this.stopped || this.queue.length === 0) return;
    const head = this.queue[0]!;
    const nextDue = head.wireStart + (head.delivered + 1) * head.byteMs + head.latencyMs;
    const streaming = this.queue.length > 1 || head.data.length - head.delivered > 1;
    this.timer = setTimeout(() => this.tick(), Math.max(streaming ? STREAM_TICK_MS : MIN_TICK_MS, nextDue - now));
  }

  private tick(): void {
    this.timer = undefined;
    // Node fires timers up to ~1 ms late: bytes due within the slack go now, so a typical
    // byte is on time rather than always late.
    const now = performance.now() + TIMER_SLACK_MS;
    const batch: Buffer[] = [];
    while (this.queue.length) {
      const s = this.queue[0]!;
      // Byte i has fully arrived once wireStart + (i + 1) * byteMs + latency has passed.
      const due = Math.min(s.data.length, Math.floor((now - s.latencyMs - s.wireStart) / s.byteMs + 1e-9));
      if (due > s.delivered) batch.push(this.noise(s.data.subarray(s.delivered, due)));
      s.delivered = Math.max(s.delivered, due);
      if (s.delivered < s.data.length) break;
      this.queue.shift();
    }
    const chunk = batch.length === 1 ? batch[0]! : Buffer.concat(batch);
    if (chunk.length) this.deliver(chunk);
    this.schedule(now);
  }

  private noise(bytes: Buffer): Buffer {
    const { bitErrorRate, dropRate } = this.settings();
    if (bitErrorRate === 0 && dropRate === 0) return bytes;
    const out = Buffer.allocUnsafe(bytes.length);
    let n = 0;
    for (const b of bytes) {
      if (dropRate > 0 && this.random() < dropRate) {
        this.counts.dropped++;
        continue;
      }
      if (bitErrorRate > 0 && this.random() < bitErrorRate) {
        this.counts.flipped++;
        out[n++] = b ^ (1 << Math.min(7, Math.floor(this.random() * 8)));
      } else {
        out[n++] = b;
      }
    }
    return out.subarray(0, n);
  }

  private deliver(chunk: Buffer): void {
    this.tap(chunk);
    this.outbox.push(chunk);
    this.outboxBytes += chunk.length;
    // Nobody has the far pty open (or nobody reads it): the kernel and socat buffer ~40 KB, then
    // the write waits for good. Like a UART FIFO, keep only the newest bytes rather than stall
    // the wire or grow without bound; they go out once a reader turns up.
    const stalled = this.writingSince !== undefined && performance.now() - this.writingSince > STALL_MS;
    if (stalled && this.outboxBytes > STALLED_KEEP) {
      const all = Buffer.concat(this.outbox);
      this.counts.overrun += all.length - STALLED_KEEP;
      this.outbox = [all.subarray(all.length - STALLED_KEEP)];
      this.outboxBytes = STALLED_KEEP;
    }
    this.flush();
  }

  private flush(): void {
    if (this.writingSince !== undefined || this.stopped || this.outbox.length === 0) return;
    const data = this.outbox.length === 1 ? this.outbox[0]! : Buffer.concat(this.outbox);
    this.outbox = [];
    this.outboxBytes = 0;
    this.writingSince = performance.now();
    this.receiver.write(data).then(
      () => undefined,
      () => { this.counts.overrun += data.length; },
    ).finally(() => {
      this.writingSince = undefined;
      this.flush();
    });
  }

  private cancelTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
