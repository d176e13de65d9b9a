/**
 * A board powered from a USB hub port that switches its VBUS (per-port power switching,
 * "ppps" in uhubctl's listing), through the uhubctl tool (Debian package uhubctl).
 */
import { execFile } from 'node:child_process';
import type { Clock } from '../../platform/clock.ts';
import { offWaitOn, PowerError, sleepOn, type PowerOutlet } from './outlet.ts';
import type { SpecOf } from '../locations/outlet-spec.ts';

export interface RunResult { code: number; stdout: string; stderr: string }
/** Runs a program; a non-zero exit resolves, only failing to start (ENOENT...) rejects. */
export type Run = (cmd: string, args: string[]) => Promise<RunResult>;

/** execFile with a PATH lookup in `env`. */
export function execFileRun(env: NodeJS.ProcessEnv = process.env): Run {
  return (cmd, args) => new Promise((resolve, reject) => {
    execFile(cmd, args, { env, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = (err as NodeJS.ErrnoException | null)?.code;
      if (err && typeof code === 'string') return reject(err);
      resolve({ code: typeof code === 'number' ? code : err ? 1 : 0, stdout, stderr });
    });
  });
}

export function uhubctlOutlet(spec: SpecOf<'uhubctl'>, deps: { run: Run; clock: Clock }): PowerOutlet {
  const description = `uhubctl hub ${spec.location} port ${spec.port}`;
  const where = ['-l', spec.location, '-p', String(spec.port)];

  const uhubctl = async (args: string[]): Promise<string> => {
    const command = `uhubctl ${args.join(' ')}`;
    let r: RunResult;
    try {
      r = await deps.run('uhubctl', args);
    } catch (e) {
      const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
      throw new PowerError('config', description, missing ? 'uhubctl is not installed (apt install uhubctl)' : `${command}: ${(e as Error).message}`, { cause: e });
    }
    if (r.code !== 0) throw new PowerError('failed', description, `${command} exited ${r.code}: ${(r.stderr || r.stdout).trim()}`);
    return r.stdout;
  };

  const outlet: PowerOutlet = {
    description,
    on: async () => { await uhubctl([...where, '-a', 'on']); },
    off: async () => { await uhubctl([...where, '-a', 'off']); },
    cycle: () => offWaitOn(outlet, spec.offMs, sleepOn(deps.clock)),
    async state() {
      const out = await uhubctl(where);
      const words = portStatus(out, spec.location, spec.port);
      if (!words) throw new PowerError('failed', description, `uhubctl did not list this port:\n${out.trim()}`);
      return words.includes('power') ? 'on' : 'off';
    },
    close: async () => undefined,
  };
  return outlet;
}

/**
 * The status words of one port in uhubctl's listing ("  Port 2: 0100 power" is on, "0000 off"
 * is off), from the block headed "Current status for hub <location> [...]". A USB 3 hub is
 * listed twice (its USB 2 and USB 3 halves, different locations); only ours counts.
 */
export function portStatus(listing: string, location: string, port: number): string[] | undefined {
  let inHub = false;
  let words: string[] | undefined;
  for (const line of listing.split('\n')) {
    const hub = /^(?:Current|New) status for hub (\S+)/.exec(line);
    if (hub) { inHub = hub[1] === location; continue; }
    const m = /^\s+Port (\d+): [0-9a-f]{4}((?: [^[\s]+)*)/.exec(line);
    // After an action uhubctl lists the port again under "New status": the last listing wins.
    if (inHub && m && Number(m[1]) === port) words = m[2]!.trim().split(/\s+/);
  }
  return words;
}
