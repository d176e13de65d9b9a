/**
 * Which of two status or telemetry messages of one board is newer, from the payloads' own
 * fields (docs/mqtt.md, "Reading status and telemetry"). MQTT orders the messages of one
 * publisher on one topic, but a reader also meets retained copies, resends, and other
 * publishers with old copies; the readers (`boards`, `monitor`, metrics, the dashboard) keep
 * the newest of each board and drop the rest.
 *
 * A message's *stamp* is when the board says it was sent; its *boot* is when that board run
 * began (`bootedAt`; telemetry gives it as `at - uptimeS`). The board's clock decides, with
 * two escapes for clocks that misbehave: a later boot is newer whatever its stamp (a board
 * whose clock restarted behind is still news), and a held stamp ahead of the reader's clock
 * holds nothing back (a board or publisher from the future cannot freeze a view).
 */
import type { Status, Telemetry } from './payloads.ts';

/** Boots closer than this are one boot: telemetry's `at - uptimeS` is only as exact as `uptimeS`. */
export const SAME_BOOT_MS = 1000;
/** How far ahead of the reader's clock a held stamp may be and still count. */
export const CLOCK_SKEW_MS = 30_000;

/** What a message is compared by; `tie` breaks equal stamps (telemetry `seq`, a status's boot phases). */
export interface Mark {
  stamp: number;
  boot?: number;
  tie: number;
}

export type Standing = 'newer' | 'same' | 'older';

export function telemetryMark(t: Telemetry): Mark {
  return { stamp: t.at, boot: Math.round(t.at - t.uptimeS * 1000), tie: t.seq };
}

/**
 * An online status is stamped `bootedAt + uptimeS`; an offline one by its `at`, and it belongs
 * to the boot of the latest status before it (`previous`). A last will carries neither: the
 * broker publishes it the moment it loses the board, so it needs no mark and always applies.
 */
export function statusMark(s: Status, previous: Mark | undefined): Mark | undefined {
  if (s.state === 'online') return { stamp: Math.round(s.bootedAt + s.uptimeS * 1000), boot: s.bootedAt, tie: s.phases.length };
  if (s.at === undefined) return undefined;
  return { stamp: s.at, ...(previous?.boot !== undefined ? { boot: previous.boot } : {}), tie: 0 };
}

/** How `incoming` stands against `held` (the newest accepted so far), as the reader's clock `now` sees it. */
export function standing(incoming: Mark, held: Mark | undefined, now: number): Standing {
  if (!held || held.stamp > now + CLOCK_SKEW_MS) return 'newer';
  if (incoming.boot !== undefined && held.boot !== undefined && incoming.boot > held.boot + SAME_BOOT_MS) return 'newer';
  if (incoming.stamp !== held.stamp) return incoming.stamp > held.stamp ? 'newer' : 'older';
  if (incoming.tie !== held.tie) return incoming.tie > held.tie ? 'newer' : 'older';
  return 'same';
}
