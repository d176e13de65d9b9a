/**
 * U-Boot's own words when it crashes or restarts under a flash: an exception report (a data
 * abort when `loady` writes to an address with no RAM behind it), `hang()`'s banner, the reset
 * message, or its version banner of a fresh boot. Seen while a transfer or a command runs, any of
 * them means the flash cannot succeed any more: YMODEM blocks sent on would land in the shell of
 * the rebooted U-Boot, so the watcher stops the transfer at once and keeps what the board printed.
 */
import type { SerialLink } from '../../platform/hal/serial.ts';
import type { Clock } from '../../platform/clock.ts';

/** ARM exception reports (32 and 64 bit) and hang(): U-Boot is broken, not merely restarted. */
const CRASHES = [/data abort/i, /prefetch abort/i, /undefined instruction/i, /synchronous abort/i, /\bSError\b/, /### ERROR ###/];
/** A reset (by itself, a watchdog or a person) and the banner of the boot that follows. */
const BANNER = /U-Boot (?:SPL )?20\d\d\.\d\d/;
const RESETS = [/resetting (?:\.\.\.|CPU)/i, BANNER];

export type UpsetKind = 'crash' | 'reset';

export interface UbootUpset {
  kind: UpsetKind;
  /** The words that gave it away, as printed. */
  signature: string;
  /** What the board printed from there on (the register dump, the reset), printable lines only. */
  lines: string[];
}

/** The first upset in `text`; a crash wins over the reset it brings along. */
export function findUpset(text: string): { kind: UpsetKind; signature: string; index: number } | undefined {
  const first = (patterns: RegExp[]) => patterns
    .map((re) => re.exec(text))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => a.index - b.index)[0];
  const crash = first(CRASHES);
  if (crash) return { kind: 'crash', signature: crash[0], index: crash.index };
  const reset = first(RESETS);
  return reset && { kind: 'reset', signature: reset[0], index: reset.index };
}

/** Lines a person can read: control bytes (YMODEM's ACKs and 'C's among them) and blank lines dropped. */
export function printableLines(text: string, max: number): string[] {
  return text.replace(/\r/g, '').replace(/[^\x20-\x7e\n\t]/g, '').split('\n').map((l) => l.trimEnd()).filter(Boolean).slice(0, max);
}

/** Up to the banner of the boot after the upset: what follows is the usual boot chatter. */
function untilBanner(lines: string[]): string[] {
  const banner = lines.findIndex((l, i) => i > 0 && BANNER.test(l));
  return banner > 0 ? lines.slice(0, banner + 1) : lines;
}

/** Enough of the text before a match to find a signature split across chunks. */
const TAIL = 4096;
/** A crash report with its registers and the reset after it is ~12 lines. */
const MAX_LINES = 16;
const KEEP_AFTER = 8192;
/** The dump is complete once the board has been quiet this long... */
const QUIET_MS = 300;
/** ...or this long after the signature, whichever comes first (a rebooted U-Boot counts down every second). */
const MAX_SETTLE_MS = 2000;

export interface UpsetWatch {
  /** Aborts the moment an upset shows: give it to whatever talks to the board meanwhile. */
  readonly signal: AbortSignal;
  /** Once `signal` fired: waits for the rest of the report, then returns it. */
  describe(): Promise<UbootUpset>;
  close(): void;
}

export function watchUpsets(link: SerialLink, clock: Clock): UpsetWatch {
  const ac = new AbortController();
  let text = '';
  let found: { kind: UpsetKind; signature: string; at: number } | undefined;
  let wake: (() => void) | undefined;
  const off = link.onData((chunk) => {
    const s = chunk.toString('latin1');
    if (found) {
      text = (text + s).slice(0, KEEP_AFTER);
    } else {
      text = (text + s).slice(-TAIL);
      const f = findUpset(text);
      if (f) {
        found = { kind: f.kind, signature: f.signature, at: clock.monotonic() };
        text = text.slice(f.index);
        ac.abort(new Error(`U-Boot printed "${f.signature}"`));
      }
    }
    wake?.();
  });
  const quietFor = (ms: number) => new Promise<boolean>((resolve) => {
    const timer = clock.setTimeout(() => { wake = undefined; resolve(true); }, ms);
    wake = () => { clock.clearTimeout(timer); wake = undefined; resolve(false); };
  });
  return {
    signal: ac.signal,
    async describe() {
      if (!found) throw new Error('watchUpsets: describe() before any upset');
      for (;;) {
        const left = found.at + MAX_SETTLE_MS - clock.monotonic();
        if (left <= 0 || (await quietFor(Math.min(QUIET_MS, left)))) break;
      }
      return { kind: found.kind, signature: found.signature, lines: untilBanner(printableLines(text, MAX_LINES)) };
    },
    close: off,
  };
}
