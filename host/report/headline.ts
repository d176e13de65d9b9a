/**
 * The figures a reader looks for first, defined once so the run report and the comparison
 * of two runs say the same thing with the same words and units.
 */
import type { RunSummary } from '../analysis/summary.ts';

export interface Metric {
  key: string;
  label: string;
  value: number | null;
  unit: string;
  /** Whether a larger value is better, for the comparison's wording; undefined when neither. */
  higherIsBetter?: boolean;
}

export function headlineMetrics(s: RunSummary): Metric[] {
  const d = s.desk;
  const count = (k: string) => (typeof s.counts[k] === 'number' ? s.counts[k] : null);
  return [
    { key: 'boards', label: 'Boards reporting', value: d.boardsReporting, unit: '' },
    { key: 'guests', label: 'Guests booted', value: d.guestsBooted, unit: '', higherIsBetter: true },
    { key: 'guests-failed', label: 'Guests failed', value: d.guestsFailed, unit: '', higherIsBetter: false },
    { key: 'energy', label: 'Total energy', value: d.energyJ, unit: 'J', higherIsBetter: false },
    { key: 'jpb', label: 'Energy per guest boot', value: d.launch?.joulesPerGuestBoot ?? null, unit: 'J', higherIsBetter: false },
    { key: 'boot-p50', label: 'Guest boot p50', value: d.guestBootMs?.p50 ?? null, unit: 'ms', higherIsBetter: false },
    { key: 'boot-p95', label: 'Guest boot p95', value: d.guestBootMs?.p95 ?? null, unit: 'ms', higherIsBetter: false },
    { key: 'boot-p99', label: 'Guest boot p99', value: d.guestBootMs?.p99 ?? null, unit: 'ms', higherIsBetter: false },
    { key: 'boot-max', label: 'Guest boot max', value: d.guestBootMs?.max ?? null, unit: 'ms', higherIsBetter: false },
    { key: 'board-boot-p50', label: 'Board boot p50, power-on to ready', value: d.boardBootMs?.p50 ?? null, unit: 'ms', higherIsBetter: false },
    { key: 'idle', label: 'Idle desk power', value: d.idleW, unit: 'W', higherIsBetter: false },
    { key: 'power-mean', label: 'Mean desk power', value: d.power?.meanW ?? null, unit: 'W' },
    { key: 'power-peak', label: 'Peak desk power', value: d.power?.peakW ?? null, unit: 'W' },
    { key: 'duration', label: 'Run length', value: s.window ? s.window.durationMs / 1000 : null, unit: 's' },
    { key: 'cross-check', label: 'Host energy vs board counters', value: d.crossCheckPct, unit: '%' },
    { key: 'malformed', label: 'Malformed messages', value: count('malformed'), unit: '', higherIsBetter: false },
    { key: 'lost', label: 'Telemetry samples lost', value: count('lostTelemetry'), unit: '', higherIsBetter: false },
  ];
}

/** Why there is no board boot time: boards not power-cycled (an older boot is not this run's), or no phases seen. */
export function boardBootMissing(s: Pick<RunSummary, 'marks'>): string {
  return (s.marks ?? []).some((m) => m.name === 'boot-start') ? 'no boot phases reported in this run' : 'no reboot in this run';
}
