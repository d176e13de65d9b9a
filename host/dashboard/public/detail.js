/**
 * The board detail view: a dialog opened from a tile (Enter or double-click) with what the page
 * knows of one board (status and boot phases, image, uptime, last seen, health verdict, tags,
 * guests, power over the last minutes) and the tail of its console when the dashboard server
 * can read it. It redraws when the board changes and once a second for the times.
 */
import { boardState } from './model.js';
import { clock, duration, offlineText } from './board-text.js';
import { createSparkline } from './sparkline.js';
import { api } from './http-api.js';

const $ = (id) => document.getElementById(id);
const CONSOLE_LINES = 40;
const NO_CONSOLES = 'This dashboard cannot read the boards\' consoles: only a simulated desk\'s dashboard (desk up, or deskbox dashboard --state) keeps their logs. On a real desk, run deskbox console on the desk computer.';

const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** The rows of facts: `[label, text]`, leaving out what the board has not said. */
function facts(board, tags, now) {
  const s = board.status;
  const t = board.telemetry;
  const known = board.lastOnline;
  const state = boardState(board);
  const up = state !== 'offline' && state !== 'unknown';
  const rows = [['state', s?.state === 'offline' ? offlineText(s, board.offlineSeenAt).long : state === 'unknown' ? 'no status yet' : state]];
  const h = board.health;
  rows.push(['health', h ? `${h.state} since ${clock(h.since)}: ${h.reason}` : 'no verdict yet (taken as healthy)']);
  if (known) {
    rows.push(['agent version', known.version]);
    rows.push(['image', known.image ? `${known.image.name} ${known.image.version}, slot ${known.image.slot} (sha256 ${known.image.sha256.slice(0, 12)}…)` : 'not booted from an image slot']);
    if (known.guestRuntime) rows.push(['guest runtime', known.guestRuntime]);
    rows.push(['booted', clock(known.bootedAt)]);
  }
  if (up) rows.push(['uptime', duration(t?.uptimeS ?? s.uptimeS)]);
  rows.push(['last seen', board.lastSeen === undefined ? 'not since the page connected' : `${clock(board.lastSeen)} (${duration((now - board.lastSeen) / 1000)} ago)`]);
  rows.push(['tags', tags.length ? tags.join(', ') : 'none']);
  if (t && up) {
    const g = t.guests;
    const boot = g.bootMs ? `; boot p50 ${Math.round(g.bootMs.p50)} ms, p95 ${Math.round(g.bootMs.p95)} ms over ${g.bootMs.count}` : '';
    rows.push(['guests', `${g.running} running${g.ready !== undefined ? `, ${g.ready} ready` : ''}, ${g.failed} failed${g.runtime ? ` (${g.runtime})` : ''}${boot}`]);
    rows.push(['power', `${t.powerW.toFixed(2)} W (${t.volts.toFixed(2)} V, ${t.amps.toFixed(3)} A), energy ${(t.energyJ / 3600).toFixed(3)} Wh`]);
    rows.push(['agent', `${(t.cpu * 100).toFixed(1)} % of a core, ${mib(t.memBytes)}`]);
  }
  if (known?.hardware) rows.push(['hardware', `power ${known.hardware.power}, gpio ${known.hardware.gpio}, console ${known.hardware.console}`]);
  return rows;
}

/** `consoles`: whether the server reads consoles; `credentials()`: the logged-in user. */
export function createDetail({ model, consoles, credentials }) {
  const dialog = $('detail');
  const plot = createSparkline($('detail-plot'), { label: 'board power, last minutes' });
  const consoleEl = $('detail-console');
  let open;

  const draw = () => {
    const board = model.boards.get(open);
    if (!board) return;
    const now = Date.now();
    $('detail-title').textContent = `${open}`;
    const rows = facts(board, model.tags(board), now).flatMap(([label, text]) => {
      const dt = document.createElement('dt');
      const dd = document.createElement('dd');
      dt.textContent = label;
      dd.textContent = text;
      dd.dataset.fact = label;
      return [dt, dd];
    });
    $('detail-facts').replaceChildren(...rows);
    const phases = board.lastOnline?.phases ?? [];
    const first = phases[0]?.at;
    $('detail-phases').replaceChildren(...phases.map((p) => {
      const li = document.createElement('li');
      li.textContent = `${p.phase} at ${clock(p.at)} (+${((p.at - first) / 1000).toFixed(1)} s)`;
      return li;
    }));
    if (!phases.length) $('detail-phases').textContent = 'none reported yet';
    plot.draw(board.power, now);
  };

  const readConsole = async () => {
    const id = open;
    if (!consoles) return void (consoleEl.textContent = NO_CONSOLES);
    const who = credentials();
    if (!who) return;
    consoleEl.textContent = 'reading…';
    try {
      const { status, json } = await api(`/api/console/${encodeURIComponent(id)}?lines=${CONSOLE_LINES}`, who);
      if (open !== id) return;
      consoleEl.textContent = status !== 200 ? `the console cannot be read: ${json.error}` : json.lines.length ? json.lines.join('\n') : '(the console has printed nothing yet)';
      consoleEl.scrollTop = consoleEl.scrollHeight;
    } catch (err) {
      consoleEl.textContent = `the console cannot be read: ${err.message}`;
    }
  };

  $('detail-close').addEventListener('click', () => dialog.close());
  $('detail-console-refresh').addEventListener('click', () => void readConsole());
  dialog.addEventListener('close', () => { open = undefined; });
  setInterval(() => { if (open) draw(); }, 1000);

  return {
    show(id) {
      open = id;
      draw();
      if (!dialog.open) dialog.showModal();
      void readConsole();
    },
    /** After a frame's changes: redraws when the open board is among them. */
    changed(ids) { if (open && ids.has(open)) draw(); },
    close() { if (dialog.open) dialog.close(); },
  };
}
