/**
 * A console keeper: holds a serial console open across the device coming and going, as a USB
 * adapter does when it is unplugged and plugged back (or a board's power takes the adapter
 * with it). It opens a stable path (a /dev/serial/by-path link), resolving it again at every
 * open since the ttyUSB it leads to changes; when the device goes (the link reports it gone,
 * a write fails, or an open fails) it notes the gap and retries with exponential backoff until
 * it is back or close() is called. Every byte read goes to onData subscribers and the log
 * file; the log also gets a line at each change (console-log.ts), so a reader sees the gap.
 * A path missing at start is a state ('missing') and an event, not an error: a desk keeps
 * its other consoles. Nothing is shared between keepers: one process may keep many.
 *
 *   const k = await openConsoleKeeper({ path: '/dev/serial/by-path/...-port0', baud: 115200, label: 'b03', logFile });
 */
import { realpath } from 'node:fs/promises';
import { serialportBinding } from '../../board/hal/serial/serialport.ts';
import { DataFanout } from '../../board/hal/serial/fanout.ts';
import { systemClock, type TimerHandle } from '../../platform/clock.ts';
import type { SerialLink } from '../../platform/hal/serial.ts';
import { gapText, noteLine, openConsoleLogFile } from './console-log.ts';
import { ConsoleKeeperError, DEFAULT_BACKOFF, nextDelay, type ConsoleEvent, type ConsoleKeeper, type ConsoleKeeperOptions, type ConsoleState } from './keeper-types.ts';

export * from './keeper-types.ts';

export async function openConsoleKeeper(o: ConsoleKeeperOptions): Promise<ConsoleKeeper> {
  const binding = o.binding ?? serialportBinding();
  const clock = o.clock ?? systemClock();
  const backoff = { ...DEFAULT_BACKOFF, ...o.backoff };
  const resolve = o.resolve ?? realpath;
  const log = o.logFile ? openConsoleLogFile(o.logFile) : undefined;
  // Held while nobody subscribes, as a UART FIFO would; a log needs no subscriber.
  const data = new DataFanout();
  let link: SerialLink | undefined;
  let current: ConsoleState = 'missing';
  let everOpen = false;
  let gapSince = clock.monotonic();
  let delay: number | undefined;
  let timer: TimerHandle | undefined;
  let attempt: Promise<void> | undefined;
  let closed = false;
  let closing: Promise<void> | undefined;
  /** Until the first attempt is over: an open then is no end of a 'missing'. */
  let first = true;
  const waiters = new Set<() => void>();

  const report = (e: Omit<ConsoleEvent, 'at'>, text: string) => {
    const at = clock.now();
    log?.write(noteLine(at, text));
    o.onEvent?.({ ...e, at });
  };

  const gone = (from: SerialLink, reason: Error) => {
    if (link !== from || closed) return;
    link = undefined;
    current = 'gone';
    gapSince = clock.monotonic();
    from.close().catch(() => undefined);
    report({ kind: 'gone', reason: reason.message }, `gone: ${reason.message}`);
    schedule();
  };

  const opened = (l: SerialLink, device: string) => {
    const gapMs = clock.monotonic() - gapSince;
    const wasMissing = current === 'missing' && !first;
    link = l;
    current = 'open';
    delay = undefined;
    l.onData((chunk) => {
      log?.write(chunk);
      data.push(chunk);
    });
    l.onGone?.((reason) => gone(l, reason));
    if (everOpen) report({ kind: 'back', gapMs, device }, `back after ${gapText(gapMs)} (${device})`);
    else if (wasMissing) report({ kind: 'open', gapMs, device }, `open on ${device} after ${gapText(gapMs)} missing`);
    else report({ kind: 'open', device }, `open on ${device}`);
    everOpen = true;
    for (const w of [...waiters]) w();
  };

  const tryOpen = async (): Promise<Error | undefined> => {
    try {
      const device = await resolve(o.path);
      const l = await binding.open(device, { baudRate: o.baud });
      if (closed) {
        await l.close();
        return undefined;
      }
      opened(l, device);
      return undefined;
    } catch (e) {
      return e as Error;
    }
  };

  const schedule = () => {
    if (closed || timer) return;
    delay = nextDelay(backoff, delay);
    timer = clock.setTimeout(() => {
      timer = undefined;
      attempt = tryOpen().then((err) => {
        attempt = undefined;
        if (err && !closed) schedule();
      });
    }, delay);
  };

  const failed = await tryOpen();
  first = false;
  if (failed) {
    report({ kind: 'missing', reason: failed.message }, `missing: ${failed.message}`);
    schedule();
  }

  return {
    label: o.label,
    onData: (cb) => data.subscribe(cb),
    state: () => current,
    async write(bytes) {
      const l = link;
      if (!l) throw new ConsoleKeeperError(o.label, o.path, closed ? 'closed' : current, 'no device to write to');
      try {
        await l.write(bytes);
      } catch (e) {
        // Links that cannot report a vanished device (onGone is optional) learn it here.
        gone(l, e as Error);
        throw new ConsoleKeeperError(o.label, o.path, current, `write failed: ${(e as Error).message}`, { cause: e });
      }
    },
    waitOpen(timeoutMs) {
      if (current === 'open') return Promise.resolve();
      return new Promise<void>((ok, fail) => {
        const done = (err?: Error) => {
          waiters.delete(settle);
          clock.clearTimeout(deadline);
          if (err) fail(err); else ok();
        };
        const settle = () => done(closed ? new ConsoleKeeperError(o.label, o.path, 'closed', 'closed while waiting for it to open') : undefined);
        const deadline = clock.setTimeout(() => done(new ConsoleKeeperError(o.label, o.path, current, `not open after ${timeoutMs} ms`)), timeoutMs);
        waiters.add(settle);
      });
    },
    close: () => (closing ??= (async () => {
      closed = true;
      if (timer) clock.clearTimeout(timer);
      timer = undefined;
      for (const w of [...waiters]) w();
      await attempt;
      const l = link;
      link = undefined;
      data.clear();
      await l?.close().catch(() => undefined);
      await log?.close();
    })()),
  };
}
