/**
 * Delivery of received chunks to subscribers, shared by every serial binding so they agree on
 * the rules: in order, to every subscriber, held while there is none.
 */
export class DataFanout {
  private readonly subscribers = new Set<(chunk: Buffer) => void>();
  private held: Buffer[] = [];
  private heldBytes = 0;
  private flushPending = false;

  /** Oldest held bytes are dropped beyond this, as a FIFO overruns when nobody reads. */
  constructor(private readonly holdLimit = 1 << 20) {}

  push(chunk: Buffer): void {
    // While held bytes await their flush, newer bytes queue behind them to keep the order.
    if (this.subscribers.size === 0 || this.flushPending) {
      this.held.push(chunk);
      this.heldBytes += chunk.length;
      while (this.heldBytes > this.holdLimit && this.held.length) this.heldBytes -= this.held.shift()!.length;
      return;
    }
    this.deliver(chunk);
  }

  subscribe(cb: (chunk: Buffer) => void): () => void {
    this.subscribers.add(cb);
    // Held bytes go out on a microtask: the subscriber gets its unsubscribe function first.
    if (this.held.length && !this.flushPending) {
      this.flushPending = true;
      queueMicrotask(() => this.flush());
    }
    return () => {
      this.subscribers.delete(cb);
    };
  }

  clear(): void {
    this.subscribers.clear();
    this.held = [];
    this.heldBytes = 0;
  }

  private flush(): void {
    this.flushPending = false;
    if (this.subscribers.size === 0 || this.held.length === 0) return;
    const data = Buffer.concat(this.held);
    this.held = [];
    this.heldBytes = 0;
    this.deliver(data);
  }

  private deliver(chunk: Buffer): void {
    // Like EventEmitter: a throwing subscriber is a bug that surfaces, but only after the
    // others got the chunk, so it cannot starve them or wedge the port's read loop.
    for (const cb of [...this.subscribers]) {
      try {
        cb(chunk);
      } catch (e) {
        queueMicrotask(() => { throw e; });
      }
    }
  }
}
