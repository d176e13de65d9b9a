/**
 * The ops every agent answers about and for itself: ping, info, its LED (held, or blinking a
 * while to be found), its telemetry period, a reboot.
 */
import * as v from 'valibot';
import { OnlineStatusSchema } from '../payloads.ts';
import { command, epochMsSchema, NoArgsSchema } from './spec.ts';

export const LED_MODES = ['heartbeat', 'on', 'off'] as const;
export type LedMode = (typeof LED_MODES)[number];

export const TELEMETRY_PERIOD_MAX_S = 3600;
/** How long `identify` blinks when not told, and at most (a forgotten blink must end). */
export const IDENTIFY_DEFAULT_S = 10;
export const IDENTIFY_MAX_S = 300;
const periodS = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(TELEMETRY_PERIOD_MAX_S));

export const BOARD_COMMANDS = {
  ping: command({
    args: NoArgsSchema,
    result: v.object({ pong: v.literal(true), at: epochMsSchema }),
    summary: 'is the agent there: answers at once with its clock',
  }),
  'telemetry.period': command({
    args: v.object({ seconds: periodS }),
    result: v.object({ seconds: periodS }),
    summary: 'how often telemetry goes out from now on (until the agent restarts)',
    usage: `telemetry.period needs args.seconds, an integer from 1 to ${TELEMETRY_PERIOD_MAX_S}`,
  }),
  info: command({
    args: NoArgsSchema,
    result: v.object({ ...OnlineStatusSchema.entries, telemetryPeriodS: periodS, pid: v.pipe(v.number(), v.integer(), v.minValue(1)) }),
    summary: 'the board\'s current status fields, its configured telemetry period and the agent\'s pid',
  }),
  led: command({
    args: v.object({ mode: v.picklist(LED_MODES) }),
    result: v.object({ mode: v.picklist(LED_MODES) }),
    summary: 'blink the status LED (heartbeat) or hold it on or off, to find a board on the desk',
    usage: `led needs args.mode, one of ${LED_MODES.join(', ')}`,
  }),
  identify: command({
    args: v.object({ seconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(IDENTIFY_MAX_S)), IDENTIFY_DEFAULT_S) }),
    result: v.object({ seconds: v.number(), restores: v.picklist(LED_MODES) }),
    summary: 'blink the status LED fast for a while, to find the board on the desk, then put it back as it was',
    usage: `identify takes args.seconds, an integer from 1 to ${IDENTIFY_MAX_S} (default ${IDENTIFY_DEFAULT_S})`,
  }),
  reboot: command({
    args: NoArgsSchema,
    result: v.object({ rebooting: v.literal(true) }),
    summary: 'reset the board once the reply is out: it goes through its boot program and comes back online',
  }),
};
