/**
 * Works around a bug in @serialport/bindings-cpp (13.0.x, unix): its native Poller records
 * every awaited event but calls uv_poll_start() with only the newest one, so a write that
 * waits for "writable" stops the pending wait for "readable" (and vice versa). When the far
 * end can only take our output after we take its input (a socat pty relay, a peer with flow
 * control) both sides stall for good: a 256 KiB full-duplex transfer over a pty pair hangs
 * within a few dozen tries under CPU load.
 *
 * The fix: on this one port's poller, every poll request also asks for the events that still
 * have waiters. The waiters are the poller's own EventEmitter listeners, so this needs no
 * state of its own. Ports whose binding has no such poller (Windows, a future fixed version
 * with a different shape) are left alone.
 */
const READABLE = 0b0001;
const WRITABLE = 0b0010;
const DISCONNECT = 0b0100;

interface JsPoller {
  poll(flags?: number): void;
  listenerCount(event: string): number;
}

export function keepPollInterest(bindingPort: unknown): boolean {
  const poller = (bindingPort as { poller?: Partial<JsPoller> } | undefined)?.poller;
  if (!poller || typeof poller.poll !== 'function' || typeof poller.listenerCount !== 'function') return false;
  const p = poller as JsPoller;
  const original = p.poll.bind(p);
  p.poll = (flags = 0) => {
    const waiting =
      (p.listenerCount('readable') ? READABLE : 0) |
      (p.listenerCount('writable') ? WRITABLE : 0) |
      (p.listenerCount('disconnect') ? DISCONNECT : 0);
    original(flags | waiting);
  };
  return true;
}
