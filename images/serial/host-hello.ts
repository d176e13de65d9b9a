/**
 * Opening a session from the host: HELLO at once and again every retryMs (the first may
 * meet the board's boot text, a busy agent, or line noise) until the board answers or
 * helloMs has passed, which means no agent listens on that port.
 */
import type { Clock } from '../../platform/clock.ts';
import type { FrameChannel } from './frame-channel.ts';
import { PROTOCOL_VERSION, type Message } from './messages.ts';
import type { SourceImage } from './source-image.ts';
import { NamedTimers } from './session-timers.ts';

export interface HelloOptions {
  clock: Clock;
  channel: FrameChannel;
  session: number;
  source: SourceImage;
  helloMs: number;
  retryMs: number;
  onNoAnswer(): void;
  onWriteError(e: unknown): void;
}

/** Starts the HELLOs; stop() once answered. `lastSentAt` dates the latest, for a first RTT sample. */
export function repeatHello(o: HelloOptions): { stop(): void; readonly lastSentAt: number } {
  const timers = new NamedTimers<'hello'>(o.clock);
  const { size: payloadSize, sha256 } = o.source.manifest.payload;
  const hello: Message = { kind: 'hello', session: o.session, version: PROTOCOL_VERSION, payloadSha256: sha256, headLength: o.source.head.length, payloadSize };
  const deadline = o.clock.monotonic() + o.helloMs;
  const state = { lastSentAt: o.clock.monotonic(), stopped: false };
  const again = () => {
    if (state.stopped) return;
    const now = o.clock.monotonic();
    if (now >= deadline) return o.onNoAnswer();
    state.lastSentAt = now;
    o.channel.send(hello, { lead: true }).catch(o.onWriteError);
    timers.set('hello', Math.min(o.retryMs, deadline - now), again);
  };
  again();
  return {
    stop() {
      state.stopped = true;
      timers.clearAll();
    },
    get lastSentAt() {
      return state.lastSentAt;
    },
  };
}
