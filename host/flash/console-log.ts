/**
 * Console logs of ports that are not simulated desk boards (a simulated board's link keeps its
 * own, boards/<id>/console.log): `<state>/consoles/<port>.log`, or `<board>.log` for a board of
 * a desk file, appended to by every flash and console keeper of it, so what a real board
 * printed during a failed flash is still there afterwards.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { dirname, join } from 'node:path';

/** `/dev/ttyUSB3` -> `<state>/consoles/dev_ttyUSB3.log`: one file per port, safe as a name. */
export function portConsoleLogPath(stateDir: string, port: string): string {
  return join(stateDir, 'consoles', `${port.replace(/^\/+/, '').replace(/[^A-Za-z0-9._-]/g, '_')}.log`);
}

/** A real desk's board (desk file): `<state>/consoles/<board>.log`, whoever holds its console. */
export function boardConsoleLogPath(stateDir: string, board: string): string {
  return join(stateDir, 'consoles', `${board}.log`);
}

export interface ConsoleLogs {
  write(file: string, chunk: Buffer): void;
  /** Resolves once every log is flushed and closed; rejects with the first error any of them had. */
  close(): Promise<void>;
}

/** Opened on first write, in append mode; one stream per file however many writers. */
export function openConsoleLogs(): ConsoleLogs {
  const streams = new Map<string, WriteStream>();
  let failed: Error | undefined;
  return {
    write(file, chunk) {
      let s = streams.get(file);
      if (!s) {
        mkdirSync(dirname(file), { recursive: true });
        s = createWriteStream(file, { flags: 'a' });
        s.on('error', (e) => { failed ??= e; });
        streams.set(file, s);
      }
      s.write(chunk);
    },
    async close() {
      await Promise.allSettled([...streams.values()].map((s) => { s.end(); return finished(s); }));
      streams.clear();
      if (failed) throw new Error(`console log: ${failed.message}`, { cause: failed });
    },
  };
}
