/**
 * Digital lines by name (`led`, `button`, `power-en`), so board code never holds kernel GPIO
 * numbers; the binding owns the mapping from names to pins.
 */
export type Level = 0 | 1;

export interface GpioLine {
  readonly name: string;
  read(): Promise<Level>;
  /** Rejects with a HalError on an input line, as the kernel refuses to drive one. */
  write(v: Level): Promise<void>;
  /** Idempotent; frees the line so it can be opened again. */
  close(): Promise<void>;
}

export interface GpioBinding {
  readonly description: string;
  /** An output starts at `initial` (default 0). A line is opened at most once at a time. */
  open(line: string, direction: 'in' | 'out', initial?: Level): Promise<GpioLine>;
}

export function isLevel(v: unknown): v is Level {
  return v === 0 || v === 1;
}
