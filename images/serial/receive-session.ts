/**
 * One flashing session on the board, as a lifecycle around its transfer: the ACK for each
 * received batch, RESULT or ERROR kept and repeated to a host that asks again (until BYE or
 * silence), and every way out without commit (an error either side, a silent host, a new
 * session, the receiver closing) ending in one abandon() after the target's pending work.
 */
import type { Clock } from '../../platform/clock.ts';
import type { Logger } from '../../platform/log.ts';
import { PROTOCOL_VERSION, type ErrorCode, type Message, type MessageOf } from './messages.ts';
import { ReceiveTransfer } from './receive-transfer.ts';
import type { ReceiverLimits } from './receiver-limits.ts';
import { NamedTimers } from './session-timers.ts';
import type { FlashTarget, HelloInfo } from './target.ts';
import { TargetQueue } from './target-queue.ts';

export interface SessionDeps {
  hello: HelloInfo;
  target: FlashTarget;
  clock: Clock;
  logger: Logger;
  limits: ReceiverLimits;
  send(m: Message): void;
  onEnd(outcome: { ok: boolean; error?: string }): void;
  /** Nothing left to answer: the receiver may forget this session. */
  onGone(): void;
}

export class ReceiveSession {
  private state: 'active' | 'finished' | 'failed' = 'active';
  private readonly queue = new TargetQueue();
  private readonly transfer: ReceiveTransfer;
  private readonly timers: NamedTimers<'silence'>;
  private ackDue = false;
  /** RESULT or ERROR: repeated to a host that asks again. */
  private final: Message | undefined;
  private lastHeard: number;

  constructor(private readonly d: SessionDeps) {
    this.transfer = new ReceiveTransfer({
      hello: d.hello, target: d.target, queue: this.queue, limits: d.limits, logger: d.logger, send: d.send,
      fail: (code, message) => this.fail(code, message),
      committed: (result) => this.finish(result),
    });
    this.timers = new NamedTimers(d.clock);
    this.lastHeard = d.clock.monotonic();
    this.watch();
  }

  get id(): number {
    return this.d.hello.session;
  }

  /** Between HELLO and the end (RESULT, error, abandon): the console is in protocol mode. */
  get active(): boolean {
    return this.state === 'active';
  }

  readyMessage(): Message {
    const { windowBytes, maxChunk } = this.d.limits;
    return { kind: 'ready', session: this.id, version: PROTOCOL_VERSION, maxChunk, window: windowBytes };
  }

  handle(m: Message): void {
    this.lastHeard = this.d.clock.monotonic();
    switch (m.kind) {
      case 'hello': return this.d.send(this.readyMessage());
      case 'head': case 'data': case 'done':
        this.ackDue = true;
        return this.transfer.segment(m);
      case 'ping':
        for (const answer of this.final ? [this.final] : this.transfer.answerPing()) this.d.send(answer);
        return;
      case 'error': return this.end(`the host gave up (${m.message})`, true);
      case 'bye': return this.end('the host said goodbye before the end', true);
      default: return;
    }
  }

  /** After a received batch: one ACK for all its segments. */
  flush(): void {
    if (!this.ackDue) return;
    this.ackDue = false;
    if (this.state !== 'failed') this.d.send(this.transfer.ack());
  }

  /** Ends an active session without commit (a new session replaces it, the receiver closes). */
  stop(reason: string): Promise<void> {
    this.end(reason, true);
    return this.queue.drained();
  }

  private finish(result: MessageOf<'result'>): void {
    if (this.state !== 'active') return;
    this.state = 'finished';
    this.final = result;
    this.transfer.stop();
    this.d.send(result);
    this.d.logger.info('flash: session over', { session: this.id, ok: result.ok, slot: result.slot, error: result.message || undefined });
    if (!result.ok) this.abandon();
    this.d.onEnd(result.ok ? { ok: true } : { ok: false, error: result.message });
  }

  /** Refuses or aborts the session: ERROR to the host, abandon to the target. */
  private fail(code: ErrorCode, message: string): void {
    if (this.state !== 'active') return;
    this.final = { kind: 'error', session: this.id, code, message };
    this.d.send(this.final);
    this.end(message, false);
  }

  /** `gone`: the host has left too, nothing more to answer. */
  private end(error: string, gone: boolean): void {
    if (this.state === 'active') {
      this.state = 'failed';
      this.transfer.stop();
      this.d.logger.warn('flash: session ended without commit', { session: this.id, error });
      this.abandon();
      this.d.onEnd({ ok: false, error });
    }
    if (gone) {
      this.timers.clearAll();
      this.d.onGone();
    }
  }

  private abandon(): void {
    this.queue.run(() => this.d.target.abandon()).catch((e: Error) => this.d.logger.warn('flash: abandon failed', { session: this.id, error: e.message }));
  }

  private watch(): void {
    const due = this.lastHeard + this.d.limits.silenceMs - this.d.clock.monotonic();
    if (due > 0) return this.timers.set('silence', due, () => this.watch());
    this.end(`the host went silent for ${this.d.limits.silenceMs} ms`, true);
  }
}
