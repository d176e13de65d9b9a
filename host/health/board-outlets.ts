/**
 * What the health service needs of a desk's power switch: each board's outlet, to power-cycle a
 * board and to tell whether it is off. A real desk's switchboard (host/real-desk/switchboard.ts)
 * and a simulated desk's supervisor give it; health depends on neither.
 */
export interface BoardOutlet {
  /** Off, a pause, on. */
  cycle(): Promise<void>;
  state(): Promise<'on' | 'off' | 'unknown'>;
}

export interface BoardOutlets {
  /** The board's outlet; undefined when the desk gives it none. */
  outletOf(board: string): BoardOutlet | undefined;
}
