/**
 * Keeps the line busy within the window: retransmissions first, then new segments from the
 * current phase's source, one write at a time. While nothing is outstanding but the host
 * still waits for the board (its PLAN, its RESULT, a window that reopens), it sends PING with
 * backoff, so a lost answer is asked for again rather than waited for forever.
 */
import type { Clock } from '../../platform/clock.ts';
import type { FrameChannel } from './frame-channel.ts';
import type { FlashErrorCode } from './errors.ts';
import type { LinkModel } from './link-model.ts';
import type { AckFields } from './messages.ts';
import type { SegmentSource } from './segment-sources.ts';
import { SendWindow } from './send-window.ts';
import { NamedTimers } from './session-timers.ts';

export interface PumpOptions {
  clock: Clock;
  model: LinkModel;
  channel: FrameChannel;
  session: number;
  maxAttempts: number;
  receiverWindow: number;
  fail(code: FlashErrorCode, detail: string, cause?: unknown): void;
}

const MAX_PROBE_MS = 2000;

export class SegmentPump {
  private readonly window: SendWindow;
  private readonly timers: NamedTimers<'probe'>;
  private source: SegmentSource = () => undefined;
  private pumping = false;
  private closed = false;
  private probes = 0;

  constructor(private readonly opts: PumpOptions) {
    this.timers = new NamedTimers(opts.clock);
    this.window = new SendWindow({
      clock: opts.clock, model: opts.model, maxAttempts: opts.maxAttempts, receiverWindow: opts.receiverWindow,
      onWake: () => this.wake(),
      // A few bytes behind the resent segment: on a noisy line it gets through where the
      // segment may not, and the ACK it draws tells what the board has.
      onExpire: () => this.ping(),
      onGiveUp: (seq, n) => opts.fail('timeout', `frame ${seq} was sent ${n} times and never acknowledged`),
    });
  }

  get retransmits(): number {
    return this.window.retransmits;
  }

  /** New segments come from `source` from now on. */
  feed(source: SegmentSource): void {
    this.source = source;
    this.wake();
  }

  onAck(ack: AckFields): void {
    this.window.onAck(ack);
  }

  setReceiverWindow(bytes: number): void {
    this.window.setReceiverWindow(bytes);
    this.wake();
  }

  resetProbes(): void {
    this.probes = 0;
  }

  wake(): void {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    void this.run();
  }

  close(): void {
    this.closed = true;
    this.timers.clearAll();
    this.window.close();
  }

  private async run(): Promise<void> {
    try {
      for (;;) {
        const frame = this.closed ? undefined : this.window.takeRetransmission() ?? this.source(this.window);
        if (!frame) break;
        this.timers.clear('probe');
        await this.opts.channel.write(frame);
      }
    } catch (e) {
      this.opts.fail('link', `write failed: ${(e as Error).message}`, e);
    } finally {
      this.pumping = false;
    }
    if (this.window.idle && !this.closed && !this.timers.has('probe')) this.armProbe();
  }

  private armProbe(): void {
    const delay = Math.min(MAX_PROBE_MS, this.opts.model.rto() * 2 ** Math.min(this.probes, 4));
    this.timers.set('probe', delay, () => {
      if (this.closed || !this.window.idle) return;
      this.probes++;
      this.ping();
      this.armProbe();
    });
  }

  private ping(): void {
    if (this.closed) return;
    this.opts.channel.send({ kind: 'ping', session: this.opts.session }, { lead: true }).catch((e) => this.opts.fail('link', `write failed: ${(e as Error).message}`, e));
  }
}
