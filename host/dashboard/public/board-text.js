/**
 * Sentences the page shows about boards and the experiment, from the payloads of docs/mqtt.md.
 * Pure (times are given), so they are tested under Node.
 */

const pad = (n) => String(n).padStart(2, '0');

/** The page's local wall-clock time of `ms`: `14:02:11`. */
export function clock(ms) {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `3 d 4 h`, `2 h 5 min`, `4 min 10 s`, `12 s`. */
export function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const [d, h, m] = [Math.floor(s / 86400), Math.floor(s / 3600) % 24, Math.floor(s / 60) % 60];
  if (d) return `${d} d ${h} h`;
  if (h) return `${h} h ${m} min`;
  if (m) return `${m} min ${s % 60} s`;
  return `${s} s`;
}

/**
 * Why a board is offline, as its offline status says: `shutdown` is the agent's own goodbye
 * (a reboot or a stop); `lastwill` is the broker speaking for a connection that went without
 * one (power cut, crash, network). A cut power and a crash look the same on the wire.
 */
export const OFFLINE_REASONS = {
  shutdown: { short: 'shut down', long: 'shut down by its agent (reboot or stop)' },
  lastwill: { short: 'lost', long: 'connection lost (last will: power cut, crash or network)' },
};

/**
 * `{ short, long }` for an offline board: since when (the status's own `at`, else when the page
 * saw it go, `seenAt`) and why. Without either time the page only knows it is offline now.
 */
export function offlineText(status, seenAt) {
  const reason = OFFLINE_REASONS[status.reason] ?? { short: status.reason, long: status.reason };
  const since = status.at ?? seenAt;
  return {
    short: since === undefined ? reason.short : `since ${clock(since)}`,
    long: `offline${since === undefined ? ' (since before the page connected)' : ` since ${clock(since)}`}: ${reason.long}`,
    reason: reason.short,
  };
}

/**
 * The experiment card's line. A run's first phase has no total yet (`0/0`): it says the phase
 * is starting instead, and `progress` is then indeterminate.
 */
export function experimentText(e, stale, now) {
  if (stale) return `${e.plan}: its runner went silent ${Math.round((now - e.updatedAt) / 1000)} s ago (killed?); the next run replaces it`;
  const rep = e.repetitions > 1 ? ` (repetition ${e.repetition}/${e.repetitions})` : '';
  const err = e.error ? ` — ${e.error}` : '';
  if (e.state === 'running' && e.total === 0) {
    const what = e.phase ? `${e.phase} phase starting` : 'starting';
    return `${e.plan}: ${what} on ${e.boards} board${e.boards === 1 ? '' : 's'}, running for ${duration((now - e.startedAt) / 1000)}${rep}${err}`;
  }
  const phase = e.phase ? `${e.phase} ${e.done}/${e.total}` : e.total ? `${e.done}/${e.total}` : '';
  return `${e.plan}: ${phase ? `${phase}, ` : ''}${e.state}${rep}${err}`;
}

/** Whether the experiment's bar has no measure yet (a running phase with no total). */
export const progressUnknown = (e) => e.state === 'running' && e.total === 0;
