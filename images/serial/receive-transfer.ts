/**
 * The progress of one session on the board: the head (checked, then prepared by the target
 * before any payload is taken), the PLAN, the blocks, DONE, the commit. Segments are
 * acknowledged even when repeated and taken in once; failures and the end go to the session
 * around it, which owns the lifecycle.
 */
import type { Logger } from '../../platform/log.ts';
import { BlockIntake } from './block-intake.ts';
import { HeadIntake, planFor } from './head-intake.ts';
import type { ErrorCode, Message, MessageOf, SegmentFields } from './messages.ts';
import type { ReceiverLimits } from './receiver-limits.ts';
import { SeqTracker } from './seq-tracker.ts';
import type { FlashTarget, HelloInfo } from './target.ts';
import type { TargetQueue } from './target-queue.ts';

export interface TransferDeps {
  hello: HelloInfo;
  target: FlashTarget;
  queue: TargetQueue;
  limits: ReceiverLimits;
  logger: Logger;
  send(m: Message): void;
  fail(code: ErrorCode, message: string): void;
  /** The commit is over, with this RESULT. */
  committed(result: MessageOf<'result'>): void;
}

type Stage = 'head' | 'preparing' | 'receiving' | 'committing' | 'over';

export class ReceiveTransfer {
  private stage: Stage = 'head';
  private readonly head: HeadIntake;
  private readonly seqs = new SeqTracker();
  private intake: BlockIntake | undefined;
  private plan: MessageOf<'plan'> | undefined;
  private doneSeq: number | undefined;

  constructor(private readonly d: TransferDeps) {
    this.head = new HeadIntake(d.hello, d.limits.maxChunk);
  }

  /** HEAD, DATA or DONE. */
  segment(m: MessageOf<'head'> | MessageOf<'data'> | MessageOf<'done'>): void {
    if (!this.seqs.arrived(m) || this.over) return;
    const taken = m.kind === 'head' ? this.onHead(m) : m.kind === 'data' ? this.onData(m) : this.onDone(m);
    // Handling it may have failed the session: then it is not taken in.
    if (taken && !this.over) this.seqs.take(m.seq);
    this.maybeCommit();
  }

  ack(): MessageOf<'ack'> {
    return this.seqs.ack(this.d.hello.session, this.intake?.window ?? this.d.limits.windowBytes);
  }

  /** What a PING gets: the PLAN again while the host cannot have it yet, and an ACK. */
  answerPing(): Message[] {
    const waitingForPlan = this.plan && this.stage === 'receiving' && !this.intake?.started && this.doneSeq === undefined;
    return waitingForPlan ? [this.plan!, this.ack()] : [this.ack()];
  }

  /** No more calls into the target from here (the session failed or ended). */
  stop(): void {
    this.stage = 'over';
  }

  private get over(): boolean {
    return this.stage === 'over';
  }

  private onHead(m: MessageOf<'head'>): boolean {
    if (this.stage !== 'head') return this.fail('protocol', 'a new HEAD chunk after the head was complete');
    const wrong = this.head.add(m);
    if (wrong) return this.fail('protocol', wrong);
    if (this.head.complete) this.prepare();
    return true;
  }

  private onData(m: MessageOf<'data'>): boolean {
    return this.stage === 'receiving' ? this.intake!.add(m) : this.fail('protocol', 'DATA before the PLAN');
  }

  private onDone(m: MessageOf<'done'>): boolean {
    if (this.stage !== 'receiving') return this.fail('protocol', 'DONE before the PLAN');
    this.doneSeq = m.seq;
    return true;
  }

  private prepare(): void {
    this.stage = 'preparing';
    const { session } = this.d.hello;
    this.d.queue.run(async () => {
      if (this.stage !== 'preparing') return;
      const manifest = this.head.check();
      const { need } = await this.d.target.prepare(this.head.bytes);
      if (this.stage !== 'preparing') return;
      const { windowBytes, maxChunk } = this.d.limits;
      const { wanted, plan } = planFor(manifest, need, session, windowBytes);
      this.intake = new BlockIntake({
        manifest, need: wanted, target: this.d.target, windowBytes, maxChunk,
        enqueue: (fn) => this.d.queue.run(fn), onWritten: () => this.written(), fail: (code, message) => this.fail(code, message),
      });
      this.plan = plan;
      this.stage = 'receiving';
      this.d.logger.info('flash: head accepted', { session, blocks: plan.blockCount, need: wanted.size });
      this.d.send(plan);
    }).catch((e: Error) => this.fail('refused', e.message));
  }

  /** A block reached the target: the window reopened (say so), and it may have been the last. */
  private written(): void {
    if (this.over) return;
    this.d.send(this.ack());
    this.maybeCommit();
  }

  /** DONE and every segment before it are in, and every block is written: commit. */
  private maybeCommit(): void {
    const intake = this.intake;
    if (this.stage !== 'receiving' || !intake || this.doneSeq === undefined || this.seqs.next <= this.doneSeq || intake.busy) return;
    if (!intake.complete) return void this.fail('protocol', `DONE, but blocks ${intake.stillMissing.slice(0, 8).join(', ')} never arrived`);
    this.stage = 'committing';
    const result = (ok: boolean, slot: string, version: string, message: string): MessageOf<'result'> => ({ kind: 'result', session: this.d.hello.session, ok, slot, version, message });
    this.d.queue.run(() => this.d.target.commit()).then(
      (r) => this.d.committed(result(true, r.slot, r.version, '')),
      (e: Error) => this.d.committed(result(false, '', '', e.message)),
    );
  }

  private fail(code: ErrorCode, message: string): false {
    this.d.fail(code, message);
    return false;
  }
}
