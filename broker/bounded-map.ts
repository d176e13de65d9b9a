/**
 * A Map that keeps at most `capacity` entries, forgetting the least recently written one when a
 * new key would pass the cap. For records keyed by what clients choose (user names, addresses),
 * whose number an attacker controls.
 */
export class BoundedMap<K, V> {
  readonly #entries = new Map<K, V>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, not ${capacity}`);
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: K): V | undefined {
    return this.#entries.get(key);
  }

  /** Stores the value as the most recent entry. */
  set(key: K, value: V): void {
    // Deleting first moves the key to the end of the Map's insertion order: its recency order.
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.capacity) this.#entries.delete(this.#entries.keys().next().value as K);
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }
}
