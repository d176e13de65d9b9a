/**
 * Scrape-time values for prom-client metrics. Every metric here is a picture of the desk as
 * last heard, rebuilt at each scrape, so a value nobody knows is left out instead of shown as
 * prom-client's default 0.
 */
import { Counter, Gauge } from 'prom-client';

/** One label-less value, or none at all when it is not known (yet). */
export function show(metric: Gauge | Counter, value: number | null | undefined): void {
  metric.reset();
  if (value === null || value === undefined) metric.remove();
  else if (metric instanceof Counter) metric.inc(value);
  else metric.set(value);
}

/** A counter whose running total someone else keeps (a board, the broker): shown as that total. */
export function showTotal<L extends string>(counter: Counter<L>, labels: Record<L, string>, total: number | undefined): void {
  if (total !== undefined) counter.inc(labels, total);
}

export function showGauge<L extends string>(gauge: Gauge<L>, labels: Record<L, string>, value: number | undefined): void {
  if (value !== undefined) gauge.set(labels, value);
}
