/**
 * What the host knows about the line it sends over: round-trip time (for the retransmission
 * timer, RFC 6298's estimator) and delivery rate (for the window). The window is twice the
 * bandwidth-delay product: enough to keep the line busy while ACKs travel back, yet small
 * enough that the frames queued ahead of a retransmission (in the OS, an adapter, a link
 * emulator's wire queue) stay a fraction of a second, so loss recovery and aborts stay quick.
 */

export interface LinkModelOptions {
  /** Bytes per second the line carries, if known (baud / 10 for 8N1). */
  lineRate?: number;
  /** Largest DATA chunk: the window never drops below a few of them. */
  chunk: number;
  initialRtoMs?: number;
  minRtoMs?: number;
  maxRtoMs?: number;
}

/** Recent delivery-rate samples kept for the max filter: a short stall must not shrink the window. */
const RATE_SAMPLES = 32;
const MIN_WINDOW_CHUNKS = 3;
/** Bytes a DATA frame costs beside its chunk: header, CRC, COBS code, delimiter. */
const FRAME_OVERHEAD = 28;
const MIN_CHUNK = 256;
/** The loss estimate forgets with this much traffic, so it follows a line that changes. */
const LOSS_MEMORY_BYTES = 256 * 1024;

export class LinkModel {
  private srtt: number | undefined;
  private rttvar = 0;
  private minRtt = Infinity;
  private backoff = 1;
  private readonly rates: number[] = [];
  /**
   * Lost transmissions and bytes transmitted, decaying. The prior (one loss in 50 KB) starts
   * with ~1 KiB chunks: on a bad line big first frames (the head) would hardly ever arrive, on
   * a clean one chunks reach full size within the first ~200 KB.
   */
  private losses = 0.1;
  private lossBytes = 5_000;

  constructor(private readonly opts: LinkModelOptions) {}

  rttSample(ms: number): void {
    const r = Math.max(ms, 0.1);
    this.minRtt = Math.min(this.minRtt, r);
    if (this.srtt === undefined) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
  }

  /** Bytes per millisecond that reached the board over one round trip. */
  rateSample(bytesPerMs: number): void {
    if (!Number.isFinite(bytesPerMs) || bytesPerMs <= 0) return;
    this.rates.push(bytesPerMs);
    if (this.rates.length > RATE_SAMPLES) this.rates.shift();
  }

  /** One transmission's fate: lost (detected by a later ACK or the timer) or delivered. */
  transmission(bytes: number, lost: boolean): void {
    const keep = Math.exp(-bytes / LOSS_MEMORY_BYTES);
    this.losses = this.losses * keep + (lost ? 1 : 0);
    this.lossBytes = this.lossBytes * keep + bytes;
  }

  /**
   * Bytes of the next chunk. A frame of L bytes survives a line that hurts each byte with
   * probability q with (1-q)^L, and carries L of every L + overhead bytes; the product peaks
   * near L = sqrt(overhead / q). So chunks shrink on a noisy line (where a fixed 8 KiB frame
   * would almost never arrive whole) and grow back to the full size on a clean one.
   */
  chunkSize(): number {
    const q = this.losses / this.lossBytes;
    const best = (-FRAME_OVERHEAD + Math.sqrt(FRAME_OVERHEAD ** 2 + (4 * FRAME_OVERHEAD) / q)) / 2;
    return Math.max(MIN_CHUNK, Math.min(this.opts.chunk, Math.floor(best / 256) * 256));
  }

  /** Retransmission timeout: how long without any acknowledged progress before a probe. */
  rto(): number {
    const { initialRtoMs = 1000, minRtoMs = 200, maxRtoMs = 4000 } = this.opts;
    // The first samples come from HELLO, a few bytes; an ACK for a chunk also waits for the
    // chunk's own time on the line, which is most of it on a slow line.
    const rate = this.rate();
    const chunkMs = rate > 0 ? this.opts.chunk / rate : initialRtoMs;
    const base = this.srtt === undefined ? initialRtoMs : this.srtt + Math.max(4 * this.rttvar, 20) + chunkMs;
    return Math.min(maxRtoMs, Math.max(minRtoMs, base) * this.backoff);
  }

  timedOut(): void {
    this.backoff = Math.min(this.backoff * 2, 64);
  }

  progressed(): void {
    this.backoff = 1;
  }

  /** Bytes of payload the host may have unacknowledged on the line. */
  window(): number {
    const floor = MIN_WINDOW_CHUNKS * this.opts.chunk;
    const rate = this.rate();
    if (rate === 0 || this.minRtt === Infinity) return floor + this.opts.chunk;
    // minRtt may come from small frames (HELLO): an ACK for a chunk also waits for the chunk's
    // own time on the line, hence the chunks on top.
    return Math.max(floor, Math.ceil(2 * rate * this.minRtt) + 2 * this.opts.chunk);
  }

  /** Bytes per millisecond: the hint, or what the line has shown it carries if more; 0 if neither. */
  private rate(): number {
    return Math.max(this.opts.lineRate ? this.opts.lineRate / 1000 : 0, ...this.rates);
  }

  get smoothedRtt(): number | undefined {
    return this.srtt;
  }
}

/** DATA chunk size: about 200 ms on the line, as a power of two in 512..8192 (4096 without a hint). */
export function chunkSizeFor(lineRate: number | undefined): number {
  if (!lineRate) return 4096;
  let size = 512;
  while (size * 2 <= Math.min(8192, lineRate * 0.2)) size *= 2;
  return size;
}
