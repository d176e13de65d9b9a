/**
 * Text for people: escaped for HTML, numbers rounded to what the measurement can carry. Kept
 * locale-free so a report reads the same wherever it is rebuilt.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function group(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * Whole numbers (counts) as they are, anything from 1000 up rounded to whole units, with
 * separators; one decimal under 1000, two under 10, three significant digits under 1: enough
 * to compare runs without pretending to precision the sensors lack.
 */
export function formatNumber(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  const abs = Math.abs(x);
  let text: string;
  if (abs >= 1000 || Number.isInteger(x)) text = Math.round(x).toFixed(0);
  else if (abs >= 10) text = x.toFixed(1);
  else if (abs >= 1) text = x.toFixed(2);
  else if (abs === 0) text = '0';
  else text = x.toPrecision(3);
  const [int = '', frac] = text.split('.');
  const signless = int.startsWith('-') ? int.slice(1) : int;
  return `${int.startsWith('-') ? '-' : ''}${group(signless)}${frac !== undefined ? `.${frac}` : ''}`;
}

export function withUnit(x: number | null | undefined, unit: string): string {
  const text = formatNumber(x);
  return text === '–' ? text : `${text} ${unit}`;
}

export function formatPercent(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  if (x === 0) return '0 %';
  const abs = Math.abs(x);
  // Small differences keep two significant digits: "-0.0031 %" says more than "-0.00 %".
  const text = abs >= 10 ? x.toFixed(1) : abs >= 0.1 ? x.toFixed(2) : x.toPrecision(2);
  return `${x > 0 ? '+' : ''}${text} %`;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (Math.abs(ms) < 1000) return `${formatNumber(ms)} ms`;
  const s = ms / 1000;
  if (s < 120) return `${formatNumber(s)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** Pixel coordinates: one decimal is below what a screen shows; integers for faint lines. */
export function coord(x: number, decimals: 0 | 1): string {
  const r = decimals === 0 ? Math.round(x) : Math.round(x * 10) / 10;
  return Object.is(r, -0) ? '0' : String(r);
}
