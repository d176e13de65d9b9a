/** A progress bar per run phase on the terminal (stderr, so stdout stays the command's own). */
import cliProgress from 'cli-progress';
import type { PhaseProgress } from '../experiment/runner.ts';

export function phaseBars(enabled: boolean): PhaseProgress {
  let bar: cliProgress.SingleBar | undefined;
  return {
    start(phase, total, unit) {
      if (!enabled) return;
      bar = new cliProgress.SingleBar({ format: `${phase.padEnd(7)}|{bar}| {value}/{total} ${unit} {duration_formatted}`, hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic);
      bar.start(Math.max(1, total), 0);
    },
    update: (done) => bar?.update(done),
    end: () => { bar?.stop(); bar = undefined; },
  };
}
