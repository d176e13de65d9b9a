/**
 * The page around the charts: one HTML file with its style inline, no scripts and no links
 * out (only to the figures' own files beside it), so it opens the same from a results bundle on
 * any machine, offline, years later.
 */
import { escapeHtml, formatNumber } from './format.ts';

/**
 * The plots' styles: in the page, and in each figure's standalone SVG file (figure-files.ts).
 * Per-board lines: eight colours, solid then dashed, none of them the aggregates' dark blue.
 */
export const SVG_CSS = `svg{font:11px system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}svg text{fill:#3a4252}svg .label{font-size:12px;fill:#1d2330}
path{stroke-linecap:round;stroke-linejoin:round}
.grid{stroke:#e6e9ef}.axis,.tickmark{stroke:#8a93a3}
.light path{fill:none;stroke:#2f62b5;stroke-width:.8}.light-key{stroke:#2f62b5;stroke-opacity:.45;stroke-width:2}
.each{fill:none;stroke-width:1.5}.dashed{stroke-dasharray:6 3}
.k0{stroke:#e0572b}.k1{stroke:#2a9d5c}.k2{stroke:#7b3fb5}.k3{stroke:#c7972a}.k4{stroke:#1c9bb3}.k5{stroke:#c23a87}.k6{stroke:#6b7f1a}.k7{stroke:#8a5a3b}
.bold{fill:none;stroke:#0b2a5b;stroke-width:2.4}.halo{fill:none;stroke:#fff;stroke-opacity:.85;stroke-width:5}.normal{fill:none;stroke-width:2}
.c0{stroke:#1f4e9c}.c1{stroke:#d0612b}.c2{stroke:#2f8f5b}.c3{stroke:#8a3fb0}.c4{stroke:#b0892f}.c5{stroke:#2f9fb0}
.band0 rect{fill:#e9eef7}.band1 rect{fill:#f4f6fa}.band-label{font-size:11px;fill:#5b6475}
.bars rect,.bar-key{fill:#4b7bc8}.reference{stroke:#d0612b;stroke-width:1.5;stroke-dasharray:6 3}`;

const CSS = `
:root{--ink:#1d2330;--muted:#5b6475;--line:#d9dee8}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);margin:0;background:#f6f7f9}
main{max-width:1040px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:var(--muted);margin:0 0 16px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(175px,1fr));gap:10px}
.card{background:#fff;border:1px solid var(--line);border-radius:6px;padding:8px 12px}
.card .k{color:var(--muted);font-size:12px}.card .v{font-size:19px;font-weight:600}.card .s{color:var(--muted);font-size:12px}
figure{margin:18px 0;background:#fff;border:1px solid var(--line);border-radius:6px;padding:12px}
figure h3{margin:0;font-size:15px}figcaption{color:var(--muted);margin-bottom:6px}
svg.plot{width:100%;height:auto;display:block;font-size:11px}
${SVG_CSS}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums;background:#fff}
th,td{padding:3px 8px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}th{background:#eef1f6;position:sticky;top:0}
.scroll{overflow-x:auto}details{margin:12px 0}summary{cursor:pointer;font-weight:600}
pre{background:#fff;border:1px solid var(--line);padding:8px;overflow:auto;max-height:420px}
.files{margin:6px 0 0;font-size:12px}.warning{background:#fff4e0;border:1px solid #e0b060;border-radius:6px;padding:8px 12px}
.better{color:#2f8f5b}.worse{color:#c0392b}footer{color:var(--muted);font-size:12px;margin-top:32px}
`;

export function htmlPage(title: string, body: string): string {
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`
    + `<title>${escapeHtml(title)}</title><style>${CSS.trim()}</style></head><body><main>\n${body}\n</main></body></html>\n`;
}

export function card(label: string, value: string, sub = ''): string {
  return `<div class="card"><div class="k">${escapeHtml(label)}</div><div class="v">${escapeHtml(value)}</div>${sub ? `<div class="s">${escapeHtml(sub)}</div>` : ''}</div>`;
}

export function table(head: readonly string[], rows: readonly (readonly string[])[], caption?: string): string {
  const th = head.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<div class="scroll"><table>${caption ? `<caption>${escapeHtml(caption)}</caption>` : ''}<thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

/** Plans are big enough to hide the headline if shown whole: the top level, then all of it folded. */
const MAX_PLAN_CHARS = 20_000;

function brief(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return value.every((v) => typeof v !== 'object') ? `${value.slice(0, 8).join(', ')}${value.length > 8 ? ` … (${value.length})` : ''}` : `${value.length} items`;
  const text = JSON.stringify(value);
  return text.length > 140 ? `${text.slice(0, 137)}…` : text;
}

export function planSection(plan: unknown): string {
  if (plan === undefined || plan === null || plan === '') return '<p class="meta">No plan recorded.</p>';
  const rows = typeof plan === 'object' && !Array.isArray(plan) ? Object.entries(plan as Record<string, unknown>).map(([k, v]) => [k, brief(v)]) : [['plan', brief(plan)]];
  let full = JSON.stringify(plan, null, 2) ?? String(plan);
  if (full.length > MAX_PLAN_CHARS) full = `${full.slice(0, MAX_PLAN_CHARS)}\n… (${full.length - MAX_PLAN_CHARS} more characters in the bundle's plan file)`;
  return `${table(['setting', 'value'], rows)}<details><summary>The whole plan</summary><pre>${escapeHtml(full)}</pre></details>`;
}
