/**
 * Energy from power samples. The trapezoid rule assumes power moves linearly between samples,
 * which is the best guess from point readings and exact for a steady load.
 */
export class EnergyMeter {
  private total: number;
  private prev: { watts: number; at: number } | undefined;

  constructor(startJoules = 0) {
    if (!Number.isFinite(startJoules)) throw new RangeError(`EnergyMeter: start energy must be finite, got ${startJoules}`);
    this.total = startJoules;
  }

  /** `monotonicMs` must come from a monotonic clock: wall-clock steps would invent or lose energy. */
  add(watts: number, monotonicMs: number): void {
    if (!Number.isFinite(watts) || !Number.isFinite(monotonicMs)) {
      throw new RangeError(`EnergyMeter: non-finite sample (${watts} W at ${monotonicMs} ms)`);
    }
    const prev = this.prev;
    // Time going backwards means a different time base (a restarted clock): start a new
    // segment from this sample rather than subtract energy.
    if (prev && monotonicMs > prev.at) {
      this.total += ((prev.watts + watts) / 2) * ((monotonicMs - prev.at) / 1000);
    }
    this.prev = { watts, at: monotonicMs };
  }

  get joules(): number {
    return this.total;
  }

  get lastWatts(): number | undefined {
    return this.prev?.watts;
  }
}
