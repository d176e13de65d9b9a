/** Figures from repeated runs on a noisy shared machine: medians and ratios, not means. */
export function median(xs: number[]): number {
  if (xs.length === 0) throw new Error('median of no samples');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function spread(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `${s[0]!.toFixed(1)}..${s[s.length - 1]!.toFixed(1)}`;
}

export interface Row {
  what: string;
  median: number;
  unit: string;
  range: string;
  note?: string;
}

export function printRows(title: string, rows: Row[]): void {
  process.stdout.write(`\n${title}\n`);
  const w = Math.max(...rows.map((r) => r.what.length));
  for (const r of rows) {
    process.stdout.write(`  ${r.what.padEnd(w)}  ${r.median.toFixed(1).padStart(8)} ${r.unit.padEnd(3)} (range ${r.range})${r.note ? `  ${r.note}` : ''}\n`);
  }
}
