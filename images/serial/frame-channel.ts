/**
 * Messages over a console link, for either end: frames out one write at a time (a write is
 * the only back-pressure a serial port gives, and interleaved writes would splice frames),
 * and every valid frame in, decoded. Frames whose CRC holds but whose body no v1 peer sends
 * are counted and dropped, like damaged ones: a junk stretch can pass a CRC-32 by chance.
 */
import type { SerialLink } from '../../platform/hal/serial.ts';
import { encodeFrame, FrameDecoder } from './frame.ts';
import { decodeMessage, encodeMessage, type Message } from './messages.ts';

export type ConsoleLink = Pick<SerialLink, 'write' | 'onData'>;

export interface ChannelOptions {
  link: ConsoleLink;
  /** The messages of one received chunk, together: a receiver can answer them with one ACK. */
  onMessages(batch: Message[]): void;
  onUndecodable?(e: Error): void;
}

export class FrameChannel {
  readonly decoder = new FrameDecoder();
  /** Bytes this end wrote (frames and their delimiters). */
  wireBytes = 0;
  undecodable = 0;
  private tail: Promise<void> = Promise.resolve();
  private readonly unsubscribe: () => void;

  constructor(private readonly opts: ChannelOptions) {
    this.unsubscribe = opts.link.onData((chunk) => this.receive(chunk));
  }

  /** Queued behind earlier writes; resolves once written, rejects with the link's error. */
  send(m: Message, opts: { lead?: boolean } = {}): Promise<void> {
    return this.write(encodeFrame(encodeMessage(m), opts));
  }

  write(frame: Buffer): Promise<void> {
    const done = this.tail.then(() => {
      this.wireBytes += frame.length;
      return this.opts.link.write(frame);
    });
    this.tail = done.catch(() => undefined);
    return done;
  }

  close(): void {
    this.unsubscribe();
  }

  private receive(chunk: Buffer): void {
    const batch: Message[] = [];
    for (const body of this.decoder.push(chunk)) {
      try {
        batch.push(decodeMessage(body));
      } catch (e) {
        this.undecodable++;
        this.opts.onUndecodable?.(e as Error);
      }
    }
    if (batch.length > 0) this.opts.onMessages(batch);
  }
}
