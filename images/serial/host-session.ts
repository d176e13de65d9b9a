/**
 * One flashing session on the host, phase by phase (hello, head, blocks, commit). All waits
 * race one `failed` promise, so whichever bounded condition trips first (no answer, silence,
 * no progress, give-up, abort, a failed write, the board's refusal) ends the session with
 * one typed error, and every timer of the session goes with it.
 */
import { BlockFeeder } from './block-feeder.ts';
import { FlashError, type FlashErrorCode } from './errors.ts';
import { deferred, FirstFailure } from './first-failure.ts';
import { FrameChannel } from './frame-channel.ts';
import { repeatHello } from './host-hello.ts';
import { Watchdog } from './host-watchdog.ts';
import { chunkSizeFor, LinkModel } from './link-model.ts';
import { buildReport, readPlan, type PlannedBlocks } from './host-plan.ts';
import { PROTOCOL_VERSION, type Message, type MessageOf } from './messages.ts';
import { SegmentPump } from './segment-pump.ts';
import { blockSource, headSource } from './segment-sources.ts';
import type { FlashProgress, FlashTimeouts, SendOptions, SendReport } from './sender.ts';
import type { SourceImage } from './source-image.ts';

const DEFAULTS: Required<FlashTimeouts> = { helloMs: 3000, helloRetryMs: 250, silenceMs: 10_000, workMs: 120_000, maxAttempts: 10 };

export class HostSession {
  private phase: FlashProgress['phase'] = 'hello';
  private readonly channel: FrameChannel;
  private readonly limits: Required<FlashTimeouts>;
  private readonly watchdog: Watchdog;
  private readonly started: number;
  private readonly where: string;
  private pump: SegmentPump | undefined;
  private hello: { stop(): void } | undefined;
  private feeder: BlockFeeder | undefined;
  private imageBytesDone = 0;
  private readonly ready = deferred<MessageOf<'ready'>>();
  private readonly plan = deferred<MessageOf<'plan'>>();
  private readonly result = deferred<MessageOf<'result'>>();
  private readonly failure = new FirstFailure();
  private readonly onAbort = () => this.fail('aborted', 'the caller aborted the transfer', this.opts.signal?.reason);

  constructor(private readonly opts: SendOptions, private readonly source: SourceImage, readonly session: number) {
    this.limits = { ...DEFAULTS, ...opts.timeouts };
    this.limits.maxAttempts = Math.min(255, Math.max(1, this.limits.maxAttempts));
    this.started = opts.clock.monotonic();
    this.where = opts.portName ?? 'console';
    this.channel = new FrameChannel({ link: opts.link, onMessages: (batch) => { for (const m of batch) this.onMessage(m); } });
    const { silenceMs, workMs } = this.limits;
    this.watchdog = new Watchdog({
      clock: opts.clock, silenceMs, workMs,
      onTrip: (why) => this.fail('timeout', why === 'silence' ? `the board stopped answering (nothing for ${silenceMs} ms during ${this.phase})` : `the board answers but the ${this.phase} phase made no progress for ${workMs} ms`),
    });
    opts.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  async run(): Promise<SendReport> {
    if (this.opts.signal?.aborted) this.onAbort();
    const { clock, lineRate } = this.opts;
    const { head } = this.source;
    const hello = (this.hello = repeatHello({
      clock, channel: this.channel, session: this.session, source: this.source, helloMs: this.limits.helloMs, retryMs: this.limits.helloRetryMs,
      onNoAnswer: () => this.fail('no-answer', `no agent answered HELLO within ${this.limits.helloMs} ms (is the board booted, and is this its console?)`),
      onWriteError: (e) => this.fail('link', `write failed: ${(e as Error).message}`, e),
    }));
    this.emit();
    const ready = await this.guard(this.ready.promise);
    if (ready.version !== PROTOCOL_VERSION || ready.maxChunk < 64) throw this.fail('protocol', `the board answered HELLO with version ${ready.version}, max chunk ${ready.maxChunk}`);
    const model = new LinkModel({ lineRate, chunk: Math.min(chunkSizeFor(lineRate), ready.maxChunk) });
    model.rttSample(clock.monotonic() - hello.lastSentAt);
    const pump = (this.pump = new SegmentPump({
      clock, model, channel: this.channel, session: this.session, maxAttempts: this.limits.maxAttempts, receiverWindow: ready.window,
      fail: (code, detail, cause) => this.fail(code, detail, cause),
    }));
    const sources = { session: this.session, model, progressed: () => this.progressed() };
    this.setPhase('head');
    pump.feed(headSource(sources, head, () => this.emit(head.length)));
    const plan = await this.guard(this.plan.promise);
    let planned: PlannedBlocks;
    try {
      planned = readPlan(plan, this.source, this.where);
    } catch (e) {
      throw this.fail(e as Error);
    }
    pump.setReceiverWindow(plan.window);
    this.imageBytesDone += planned.skippedBytes;
    this.setPhase('blocks');
    const feeder = (this.feeder = new BlockFeeder(this.source, planned.need, { readAhead: 3, level: this.opts.compressionLevel, onReady: () => pump.wake(), onError: (e) => this.fail(e as Error) }));
    const doneAcked = deferred<void>();
    pump.feed(blockSource(sources, feeder, (index) => this.emit(this.source.blockLength(index)), () => doneAcked.resolve()));
    feeder.start();
    await this.guard(doneAcked.promise);
    this.setPhase('commit');
    const result = await this.guard(this.result.promise);
    if (!result.ok) throw this.fail('refused', `the board did not commit the image: ${result.message}`);
    void this.channel.send({ kind: 'bye', session: this.session }, { lead: true }).catch(() => undefined);
    const ms = clock.monotonic() - this.started;
    this.opts.logger?.info('image flashed', { image: this.source.file, slot: result.slot, ms: Math.round(ms) });
    return buildReport({ result, source: this.source, planned, wireBytes: this.channel.wireBytes, retransmits: pump.retransmits, stats: feeder.stats, ms });
  }

  close(): void {
    this.stopAll();
    this.channel.close();
    this.opts.signal?.removeEventListener('abort', this.onAbort);
    this.failure.set(new Error('session closed'));
  }

  private onMessage(m: Message): void {
    if (m.session !== this.session || this.failure.error) return;
    this.watchdog.heard();
    switch (m.kind) {
      case 'ready':
        if (this.phase !== 'hello') return;
        this.hello?.stop();
        this.progressed();
        return this.ready.resolve(m);
      case 'plan':
        // Repeated PLANs (answers to PINGs) and early RESULTs are no progress of their phase.
        if (this.phase === 'head') this.progressed();
        return this.plan.resolve(m);
      case 'ack':
        return this.pump?.onAck(m);
      case 'result':
        if (this.phase === 'commit') this.progressed();
        return this.result.resolve(m);
      case 'error':
        return void this.fail('refused', `the board says (${m.code}): ${m.message}`, undefined, m.code);
      default:
        return;
    }
  }

  private progressed(): void {
    this.watchdog.progressed();
    this.pump?.resetProbes();
  }

  private setPhase(phase: FlashProgress['phase']): void {
    this.phase = phase;
    this.emit();
  }

  private emit(doneBytes = 0): void {
    this.imageBytesDone += doneBytes;
    this.opts.onProgress?.({ phase: this.phase, imageBytes: this.source.imageBytes, imageBytesDone: this.imageBytesDone, wireBytes: this.channel.wireBytes, retransmits: this.pump?.retransmits ?? 0 });
  }

  private guard<T>(p: Promise<T>): Promise<T> {
    return this.failure.race(p);
  }

  private stopAll(): void {
    this.hello?.stop();
    this.watchdog.stop();
    this.pump?.close();
    this.feeder?.stop();
  }

  /** Ends the session (the first failure wins) and tells the board, unless it already knows or cannot hear. */
  private fail(code: FlashErrorCode | Error, detail = '', cause?: unknown, boardCode?: MessageOf<'error'>['code']): Error {
    const e = code instanceof Error ? code : new FlashError(code, this.where, detail, { cause, boardCode });
    if (!this.failure.set(e)) return this.failure.error!;
    this.stopAll();
    const flashCode = e instanceof FlashError ? e.code : 'image';
    if (flashCode !== 'refused' && flashCode !== 'link') {
      void this.channel.send({ kind: 'error', session: this.session, code: 'aborted', message: `host gave up: ${e.message}` }, { lead: true }).catch(() => undefined);
    }
    this.opts.logger?.warn('flashing failed', { image: this.source.file, code: flashCode, error: e.message });
    return e;
  }
}
