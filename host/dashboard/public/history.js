/**
 * A bounded series of (time, value) samples: the last `windowMs` of them, at most `capacity`,
 * kept in a ring of typed arrays so 490 boards' power histories cost a few megabytes and no
 * garbage per sample. Pure: the caller gives the times.
 */
export const HISTORY_WINDOW_MS = 10 * 60_000;

export function createHistory({ windowMs = HISTORY_WINDOW_MS, capacity = 600 } = {}) {
  const at = new Float64Array(capacity);
  const value = new Float32Array(capacity);
  let start = 0;
  let size = 0;
  return {
    windowMs,
    /** Appends a sample; one older than the newest is dropped (series only move forward). */
    add(t, v) {
      if (size > 0 && t < at[(start + size - 1) % capacity]) return;
      const slot = (start + size) % capacity;
      at[slot] = t;
      value[slot] = v;
      if (size < capacity) size++;
      else start = (start + 1) % capacity;
    },
    /** The samples within `windowMs` before `now`, oldest first, as `{ at, value }`. */
    points(now) {
      const out = [];
      for (let i = 0; i < size; i++) {
        const k = (start + i) % capacity;
        if (at[k] >= now - windowMs && at[k] <= now) out.push({ at: at[k], value: value[k] });
      }
      return out;
    },
    get size() { return size; },
  };
}
