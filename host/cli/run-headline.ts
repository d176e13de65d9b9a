/**
 * The figures `deskbox run` ends with on the terminal: what a person looks for first, the same
 * numbers the report leads with (summary.json), so nobody has to open a file to see whether
 * the run went as meant. Figures are read from the summary as they are, never recomputed here,
 * so the terminal and the report cannot disagree.
 */
import type { Stats } from '../analysis/percentiles.ts';
import type { RunSummary } from '../analysis/summary.ts';
import { boardBootMissing } from '../report/headline.ts';

const ms = (x: number) => (x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`);
const stats = (s: Stats | null) => (s ? `p50 ${ms(s.p50)}, p95 ${ms(s.p95)}, max ${ms(s.max)} (${s.count})` : 'none');

export function runHeadline(summary: RunSummary): string[] {
  const { desk, window } = summary;
  const lines = [
    `boards     ${desk.boardsReporting} of ${desk.boards} reporting${window ? `, over ${(window.durationMs / 1000).toFixed(1)} s` : ''}`,
    `energy     ${desk.energyJ.toFixed(1)} J${desk.power ? `, mean ${desk.power.meanW.toFixed(2)} W, peak ${desk.power.peakW.toFixed(2)} W` : ''}${desk.idleW !== null ? `, idle ${desk.idleW.toFixed(2)} W` : ''}`,
    `guests     ${desk.guestsBooted} booted, ${desk.guestsFailed} failed, at most ${desk.peakGuestsRunning} running; boot ${stats(desk.guestBootMs)}`,
  ];
  lines.push(`board boot ${desk.boardBootMs ? stats(desk.boardBootMs) : `none: ${boardBootMissing(summary)}`}`);
  if (desk.launch) {
    const { joulesPerGuestBoot, guestsBooted, ms: launchMs } = desk.launch;
    lines.push(`launch     ${guestsBooted} guests in ${ms(launchMs)}${joulesPerGuestBoot !== null ? `, ${joulesPerGuestBoot.toFixed(3)} J a guest boot above idle` : ''}`);
  }
  return lines;
}
