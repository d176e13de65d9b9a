/**
 * A board's supply monitor. The real one is an INA2xx on the board's 5 V rail, read through
 * Linux hwmon; the simulated desk writes the same files, so the board agent cannot tell.
 */
export interface PowerReading {
  watts: number;
  volts: number;
  amps: number;
}

export interface PowerSensor {
  readonly description: string;
  /** Rejects with a HalError (never throws synchronously) when the sensor cannot be read. */
  read(): Promise<PowerReading>;
  /** Idempotent; reads after close reject. */
  close(): Promise<void>;
}
