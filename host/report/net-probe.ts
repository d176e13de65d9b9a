/** The report's "Guest networks" section: per network and repetition, pairs reachable and RTT percentiles. */
import type { NetProbeRecord } from '../net/probe.ts';
import { escapeHtml, formatNumber } from './format.ts';

const ms = (x: number | undefined) => (x === undefined ? '–' : x.toFixed(3));

export function netProbeSection(r: NetProbeRecord): string {
  const rows = r.probes.flatMap((p) => p.networks.map((n) => `<tr><td>${p.repetition}</td><td>${escapeHtml(n.network)}</td><td>${formatNumber(n.reachable)} / ${formatNumber(n.pairs)}</td><td>${n.sent ? (100 * (1 - n.received / n.sent)).toFixed(1) : '–'}</td><td>${ms(n.rttMs?.p50)}</td><td>${ms(n.rttMs?.p95)}</td><td>${ms(n.rttMs?.p99)}</td><td>${ms(n.rttMs?.max)}</td></tr>`));
  const errors = r.probes.flatMap((p) => p.errors.map((e) => `<li>repetition ${p.repetition}: ${escapeHtml(e)}</li>`));
  return `<p>Topology <code>${escapeHtml(r.topology)}</code>: at the end of each hold every member guest pinged up to 8 peers of its network (those on other boards first), 3 times each.</p>`
    + `<div class="scroll"><table><thead><tr><th scope="col">repetition</th><th scope="col">network</th><th scope="col">pairs reachable</th><th scope="col">loss %</th><th scope="col">RTT p50 ms</th><th scope="col">p95</th><th scope="col">p99</th><th scope="col">max</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`
    + (errors.length ? `<ul>${errors.join('')}</ul>` : '');
}
