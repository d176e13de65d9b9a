/**
 * Link shaping (the contract's `link`): a rate alone is a tbf; any delay, jitter or loss is a
 * netem, which carries the rate itself (netem's own `rate`), so a device never needs two
 * stacked qdiscs. Each guest veth is shaped at BOTH ends' egress: the board end's egress is
 * what the guest receives, the guest end's egress what it sends; shaping only one end would
 * limit one direction, and tc shapes egress only (ingress can merely police, i.e. drop).
 */
import type { NetLink } from '../../broker/contract/commands/net.ts';
import type { NetFeature } from '../../broker/contract/commands/net.ts';
import type { Shape } from './model.ts';

const UNITS: Record<string, number> = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9 };

/** `10mbit` -> bytes per second (tc's decimal units). */
export function rateBytesPerSecond(rate: string): number {
  const m = /^(\d+(?:\.\d+)?)(bit|kbit|mbit|gbit)$/.exec(rate);
  if (!m) throw new RangeError(`not a tc rate: ${rate}`);
  return Math.round((Number(m[1]) * UNITS[m[2]!]!) / 8);
}

/** The shape a link asks for, or undefined when it asks for none. */
export function shapeOf(link: NetLink): Shape | undefined {
  const netem = (link.delayMs ?? 0) > 0 || (link.jitterMs ?? 0) > 0 || (link.lossPct ?? 0) > 0;
  const rateBps = link.rate ? rateBytesPerSecond(link.rate) : 0;
  if (!netem && rateBps === 0) return undefined;
  return {
    kind: netem ? 'netem' : 'tbf',
    rateBps,
    delayUs: Math.round((link.delayMs ?? 0) * 1000),
    jitterUs: Math.round((link.jitterMs ?? 0) * 1000),
    lossPct: link.lossPct ?? 0,
  };
}

/** The kernel features a link needs. */
export function featuresFor(link: NetLink): NetFeature[] {
  const shape = shapeOf(link);
  return shape === undefined ? [] : [shape.kind];
}

/**
 * tc arguments after `root`. tbf's burst must hold at least one timer tick of the rate (and
 * a full frame); latency bounds its queue.
 */
export function tcArgs(shape: Shape): string {
  if (shape.kind === 'tbf') {
    const burst = Math.max(16 * 1024, Math.ceil(shape.rateBps / 250));
    return `tbf rate ${shape.rateBps * 8}bit burst ${burst} latency 50ms`;
  }
  const parts = ['netem'];
  if (shape.delayUs > 0 || shape.jitterUs > 0) {
    parts.push(`delay ${shape.delayUs}us`);
    if (shape.jitterUs > 0) parts.push(`${shape.jitterUs}us`);
  }
  if (shape.lossPct > 0) parts.push(`loss ${shape.lossPct}%`);
  if (shape.rateBps > 0) parts.push(`rate ${shape.rateBps * 8}bit`);
  return parts.join(' ');
}

/** A root qdisc as `tc -j qdisc show` reports it, brought to a Shape; undefined for ones not ours. */
export function shapeFromTc(q: { kind?: string; root?: boolean; options?: Record<string, unknown> }): Shape | undefined {
  if (!q.root) return undefined;
  const o = q.options ?? {};
  if (q.kind === 'tbf') return { kind: 'tbf', rateBps: Number(o['rate'] ?? 0), delayUs: 0, jitterUs: 0, lossPct: 0 };
  if (q.kind !== 'netem') return undefined;
  const delay = (o['delay'] ?? {}) as { delay?: number; jitter?: number };
  const loss = (o['loss-random'] ?? {}) as { loss?: number };
  const rate = (o['rate'] ?? {}) as { rate?: number };
  return {
    kind: 'netem',
    rateBps: Number(rate.rate ?? 0),
    // tc -j gives seconds and fractions.
    delayUs: Math.round(Number(delay.delay ?? 0) * 1e6),
    jitterUs: Math.round(Number(delay.jitter ?? 0) * 1e6),
    lossPct: Number(loss.loss ?? 0) * 100,
  };
}
