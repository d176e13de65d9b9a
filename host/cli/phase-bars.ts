/**
 * Run progress on stderr (stdout stays the command's own): a bar per phase on a terminal; one
 * line per finished phase otherwise (a log, CI, `| tee`), so a run is never silent; nothing
 * with --json.
 */
import cliProgress from 'cli-progress';
import type { PhaseProgress } from '../experiment/runner.ts';

export function phaseBars(mode: 'bars' | 'lines' | 'none', out: NodeJS.WritableStream = process.stderr): PhaseProgress<string> {
  let bar: cliProgress.SingleBar | undefined;
  let current: { phase: string; total: number; unit: string; done: number; startedAt: number } | undefined;
  return {
    start(phase, total, unit) {
      current = { phase, total, unit, done: 0, startedAt: performance.now() };
      if (mode !== 'bars') return;
      bar = new cliProgress.SingleBar({ format: `${phase.padEnd(7)}|{bar}| {value}/{total} ${unit} {duration_formatted}`, hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic);
      bar.start(Math.max(1, total), 0);
    },
    update: (done) => {
      if (current) current.done = done;
      bar?.update(done);
    },
    end: () => {
      bar?.stop();
      bar = undefined;
      if (mode === 'lines' && current) {
        const s = ((performance.now() - current.startedAt) / 1000).toFixed(1);
        out.write(`${current.phase.padEnd(7)} ${current.done}/${current.total} ${current.unit} in ${s} s\n`);
      }
      current = undefined;
    },
  };
}
