/**
 * net.probe's pings: `ping` (iputils or busybox, whichever the board has) run inside a guest's
 * namespace, its replies' round-trip times read from the output both print
 * (`... time=0.123 ms`) and its summary (`N packets transmitted, M (packets) received`).
 */
import { run } from './run.ts';

export interface PingResult { sent: number; received: number; rttMs: number[] }

export function parsePing(out: string, count: number): PingResult {
  const rttMs = [...out.matchAll(/time[=<]([\d.]+) ?ms/g)].map((m) => Number(m[1]));
  const summary = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(out);
  return summary ? { sent: Number(summary[1]), received: Number(summary[2]), rttMs } : { sent: count, received: rttMs.length, rttMs };
}

/** The argv that pings `to` from inside namespace `ns`. */
export function pingArgv(ns: string, to: string, count: number, timeoutMs: number): string[] {
  const waitS = Math.max(1, Math.ceil(timeoutMs / 1000));
  // -i 0.2: a probe of many pairs should not take a second per ping; -w bounds the whole run.
  return ['ip', 'netns', 'exec', ns, 'ping', '-c', String(count), '-i', '0.2', '-W', String(waitS), '-w', String(Math.ceil(count * 0.2) + waitS), to];
}

export async function pingFrom(ns: string, to: string, count: number, timeoutMs: number): Promise<PingResult> {
  const argv = pingArgv(ns, to, count, timeoutMs);
  let r = await run(argv[0]!, argv.slice(1));
  // No ping of its own: busybox's.
  if (r.code !== 0 && /No such file|not found/i.test(r.stderr)) r = await run('ip', [...argv.slice(1, 4), 'busybox', ...argv.slice(4)]);
  return parsePing(r.stdout, count);
}
