/**
 * The boot program's lines on a board's serial console, so whoever watches it (a person, the
 * desk's console log, `deskbox flash`) sees which slot booted or why none did. Written with
 * plain file writes: the boot program carries no native serial binding, and the console is
 * already set up by the kernel (or the desk's link emulator). Best effort: a missing or
 * stuck console must never stop a boot.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

export function consoleLines(device: string, mirror: (line: string) => void): { say(line: string): void; flush(): Promise<void> } {
  let queue = Promise.resolve();
  return {
    say(line) {
      mirror(line);
      if (!device) return;
      queue = queue.then(async () => {
        const fh = await open(device, constants.O_WRONLY | constants.O_NOCTTY | constants.O_NONBLOCK);
        try {
          await fh.write(`${line}\r\n`);
        } finally {
          await fh.close();
        }
      }).catch(() => undefined);
    },
    flush: () => queue,
  };
}
