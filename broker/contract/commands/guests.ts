/**
 * The guests.* ops (docs/mqtt.md, docs/guests.md): start more guests and wait for them to
 * signal ready, stop some or all, list them. Every result carries the board's guest summary.
 */
import * as v from 'valibot';
import { BootMsSchema, GuestsSummarySchema } from '../payloads.ts';
import { command, countSchema as count, NoArgsSchema } from './spec.ts';
import { netNameSchema } from './net.ts';

/** A guest's life as the board's supervisor sees it. */
export const GUEST_PHASES = ['starting', 'running', 'ready', 'exited', 'failed', 'stopping'] as const;

export const GuestsStartArgsSchema = v.object({
  count: v.pipe(v.number(), v.integer(), v.minValue(1)),
  image: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.-]+$/)), 'busybox'),
  cmd: v.optional(v.pipe(v.array(v.string()), v.minLength(1))),
  env: v.optional(v.record(v.string(), v.string())),
  profile: v.optional(v.picklist(['light', 'full'])),
  waitS: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(3600)), 60),
  /** Guest networks (net.apply gave the board) each new guest gets an interface on. */
  networks: v.optional(v.array(netNameSchema)),
});

export const GuestsStopArgsSchema = v.union([
  v.object({ all: v.literal(true) }),
  v.object({ count: v.pipe(v.number(), v.integer(), v.minValue(1)) }),
]);

export const GUEST_COMMANDS = {
  'guests.start': command({
    args: GuestsStartArgsSchema,
    result: v.object({
      requested: count,
      ready: count,
      failed: v.array(v.object({ id: v.string(), error: v.string() })),
      timedOut: v.boolean(),
      elapsedMs: count,
      bootMs: v.nullable(BootMsSchema),
      board: GuestsSummarySchema,
    }),
    summary: 'boot more guests; answers once they are ready or failed, or waitS passed',
  }),
  'guests.stop': command({
    args: GuestsStopArgsSchema,
    result: v.object({ stopped: count, board: GuestsSummarySchema }),
    summary: 'stop every guest, or the most recently started count',
  }),
  'guests.ls': command({
    args: NoArgsSchema,
    result: v.object({
      board: GuestsSummarySchema,
      guests: v.array(v.object({ id: v.string(), phase: v.picklist(GUEST_PHASES), restarts: count, pid: v.nullable(v.pipe(v.number(), v.integer())) })),
    }),
    summary: 'the board\'s guests, each with its phase, restarts and pid',
  }),
};
