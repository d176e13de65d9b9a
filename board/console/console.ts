/**
 * The board's serial console once the agent runs: boot messages go out as text lines, and a
 * person at `deskbox console` can type a few commands. Line noise is tolerated: overlong
 * lines are dropped and control bytes are ignored.
 */
import type { SerialLink } from '../../platform/hal/serial.ts';

export interface BoardConsole {
  say(text: string): void;
  close(): void;
}

const MAX_LINE = 256;

/** `busy`: another protocol owns the line (a flash in progress): the console neither reads nor talks. */
export function attachConsole(link: SerialLink, commands: Record<string, () => string>, onError: (err: Error) => void, busy: () => boolean = () => false): BoardConsole {
  let pending = '';
  const send = (text: string) => {
    if (busy()) return;
    link.write(text.replace(/\n/g, '\r\n')).catch(onError);
  };
  const run = (line: string) => {
    const name = line.trim();
    if (!name) return;
    const fn = commands[name];
    send(fn ? `${fn()}\n` : `unknown command "${name}"; try: ${Object.keys(commands).join(', ')}\n`);
  };
  const off = link.onData((chunk) => {
    if (busy()) {
      pending = '';
      return;
    }
    pending += chunk.toString('latin1').replace(/[^\x20-\x7e\r\n]/g, '');
    let cut: number;
    while ((cut = pending.search(/[\r\n]/)) >= 0) {
      const line = pending.slice(0, cut);
      pending = pending.slice(cut + 1);
      if (line.length <= MAX_LINE) run(line);
    }
    if (pending.length > MAX_LINE) pending = '';
  });
  return {
    say: (text) => send(`${text}\n`),
    close: off,
  };
}
