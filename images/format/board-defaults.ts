/**
 * Board defaults (docs/images.md, `board.config`): the settings a board image may give all its
 * boards. Part of the image format; the board's config (board/config.ts) layers its own file
 * over them and shares the guest limits' schema.
 */
import * as v from 'valibot';

export const seconds = (min: number, max: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));

/** Guest limits: the same on every board of an image, so a board image may set them. */
export const guestLimits = {
  maxGuests: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(9999)), 1024),
  maxParallel: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(64)), 4),
  profile: v.optional(v.picklist(['light', 'full']), 'light'),
  stopGraceMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 2000),
  restart: v.optional(v.object({
    mode: v.picklist(['on-failure', 'never']),
    maxRestarts: v.pipe(v.number(), v.integer(), v.minValue(0)),
    backoffBaseMs: v.pipe(v.number(), v.minValue(0)),
    backoffMaxMs: v.pipe(v.number(), v.minValue(0)),
  }), { mode: 'on-failure', maxRestarts: 5, backoffBaseMs: 1000, backoffMaxMs: 60_000 }),
};

/**
 * What a board image may set for all its boards (docs/images.md, `board.config`). Layering:
 * built-in defaults < the image's defaults < the board's own file.
 */
export const ImageDefaultsSchema = v.strictObject({
  keepaliveS: v.optional(seconds(1, 600)),
  telemetryPeriodS: v.optional(seconds(1, 3600)),
  samplePeriodS: v.optional(seconds(1, 60)),
  guests: v.optional(v.strictObject(Object.fromEntries(Object.entries(guestLimits).map(([k, s]) => [k, v.optional(s.wrapped)])) as {
    [K in keyof typeof guestLimits]: v.OptionalSchema<(typeof guestLimits)[K]['wrapped'], undefined>
  })),
});
