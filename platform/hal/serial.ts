/**
 * A byte link to a serial port: the board's console UART, or the desk's side of it.
 * Bytes only; framing and protocols live above this interface.
 */
export interface SerialLink {
  readonly path: string;
  /** Resolves once the bytes have left this process (drained to the device). */
  write(data: Buffer | string): Promise<void>;
  /**
   * Chunks arrive in order, split arbitrarily. Bytes that arrive while nobody is subscribed are
   * held (up to a bound) for the next subscriber, like a UART FIFO, so write-then-subscribe
   * races in callers cannot lose data.
   */
  onData(cb: (chunk: Buffer) => void): () => void;
  /**
   * Called once if the device goes away on its own (a USB adapter unplugged, a pty's far end
   * closed): the link is closed by then. Not after close(). Optional: links that cannot
   * vanish (in-memory pairs) need not have it; a keeper of such a link learns of a loss from
   * a failed write only.
   */
  onGone?(cb: (reason: Error) => void): () => void;
  /** Idempotent; writes after close reject. */
  close(): Promise<void>;
}

export interface SerialBinding {
  readonly description: string;
  /** One open link per path at a time; a second open rejects with a HalError. */
  open(path: string, opts: { baudRate: number }): Promise<SerialLink>;
}

export function validBaudRate(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n > 0;
}
