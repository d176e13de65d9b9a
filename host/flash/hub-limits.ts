/**
 * How many boards flash at once: `parallel` in all, and behind each USB hub of a desk file at
 * most that hub's own `parallel` (its boards share one USB 2.0 link; too many at once and the
 * adapters' latency grows until transfers time out).
 */
import pLimit from 'p-limit';

export function flashLimiter(parallel: number, hubs: Record<string, { parallel: number }>): <T>(hub: string | undefined, work: () => Promise<T>) => Promise<T> {
  const all = pLimit(parallel);
  const perHub = new Map(Object.entries(hubs).map(([h, hub]) => [h, pLimit(hub.parallel)]));
  // The hub's slot first: a board waiting for its hub must not hold one of the desk-wide slots.
  return (hub, work) => {
    const limit = hub === undefined ? undefined : perHub.get(hub);
    return limit ? limit(() => all(work)) : all(work);
  };
}
