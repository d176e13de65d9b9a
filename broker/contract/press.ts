/**
 * A button pressed for a board (Home Assistant's reboot and identify buttons):
 * `deskbox/<desk>/boards/<board>/press`, not retained, its payload one plain word, the op.
 * A button can only publish a fixed payload, and a command needs an id of its own and a
 * deadline, so the desk broker turns each press into a command on the board's `cmd` topic
 * (broker/press-bridge.ts); the broker's policy lets the `homeassistant` role publish presses
 * of these words and nothing else on the desk's tree.
 */
import { PAYLOAD_VERSION, type Command } from './payloads.ts';

/** The ops a press may ask for: nothing that takes arguments, changes what a board runs, or costs more than a restart. */
export const PRESS_OPS = ['reboot', 'identify'] as const;
export type PressOp = (typeof PRESS_OPS)[number];

/**
 * How long after a press its command still runs: a board that is away when its button is
 * pressed (Home Assistant shows the button unavailable then) does not reboot when it is back
 * an hour later. The board adds its grace for clock skew (board/commands.ts).
 */
export const PRESS_DEADLINE_MS = 10_000;

/** The op a press payload names, or undefined: exactly one of PRESS_OPS, nothing around it. */
export function pressOp(payload: Uint8Array | string): PressOp | undefined {
  const text = typeof payload === 'string' ? payload : payload.byteLength > 16 ? '' : new TextDecoder().decode(payload);
  return (PRESS_OPS as readonly string[]).includes(text) ? text as PressOp : undefined;
}

/** The command a press becomes: `id` fresh for each press (replies are matched by it). */
export function pressCommand(op: PressOp, id: string, now: number): Command {
  return { v: PAYLOAD_VERSION, id, op, deadline: now + PRESS_DEADLINE_MS };
}
