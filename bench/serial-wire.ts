/**
 * The cables of the serial benchmark, in a process of their own: N link emulators
 * (host/desk/link-emulator.ts, two socat pty pairs each) whose relay paces bytes to the baud.
 * On a real desk the cable is hardware; here its pacing must not wait behind the sender's or
 * the boards' JavaScript, nor be billed to either when CPU per side is measured.
 *
 * Requests: open {dir, count, settings} -> [{hostPath, boardPath}], cpu -> CPU used so far
 * (this process and its socats), stats -> wire stats per link, close.
 */
import { readFile } from 'node:fs/promises';
import { openLinkEmulator, type LinkEmulator, type LinkSettings } from '../host/desk/link-emulator.ts';
import { serveParent } from './lib/child.ts';
import { parseProcStat } from '../platform/proc-stat.ts';

const links: LinkEmulator[] = [];
let closing: Promise<void> | undefined;

/** socat's CPU in ms (utime + stime from /proc, clock ticks of 10 ms on Linux). */
async function socatCpuMs(): Promise<number> {
  const children = await readFile(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').catch(() => '');
  let ticks = 0;
  for (const pid of children.trim().split(/\s+/).filter(Boolean)) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
    if (!stat) continue;
    const parsed = parseProcStat(stat);
    if (parsed) ticks += parsed.utimeTicks + parsed.stimeTicks;
  }
  return ticks * 10;
}

serveParent(async (msg) => {
  switch (msg.op) {
    case 'open': {
      const { dir, count, settings } = msg as unknown as { dir: string; count: number; settings: LinkSettings };
      const opened = await Promise.all(Array.from({ length: count }, (_, i) => openLinkEmulator(dir, `link${i}`, settings)));
      links.push(...opened);
      return opened.map((l) => ({ hostPath: l.hostPath, boardPath: l.boardPath }));
    }
    case 'cpu': {
      const own = process.cpuUsage();
      return { nodeMs: (own.user + own.system) / 1000, socatMs: await socatCpuMs() };
    }
    case 'stats':
      return links.map((l) => l.stats());
    default:
      throw new Error(`unknown op ${String(msg.op)}`);
  }
}, () => (closing ??= Promise.all(links.map((l) => l.close())).then(() => undefined)));
