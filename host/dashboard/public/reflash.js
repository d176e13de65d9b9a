/**
 * Reflash: on a simulated desk the dashboard server flashes the selected boards itself
 * (`POST /api/flash` as the logged-in user, then the job is read once a second until it ends);
 * the server, not the page, decides who may. Elsewhere the page shows the command to run on
 * the desk computer, whose serial consoles reach the boards.
 */
import { api } from './http-api.js';

const POLL_MS = 1000;
const plural = (n) => `${n} board${n === 1 ? '' : 's'}`;

function outcome(job, list) {
  const results = job.results ?? [];
  const ok = results.filter((r) => r.ok).map((r) => r.board);
  const failed = results.filter((r) => !r.ok);
  const lines = [`reflash → ${plural(job.boards.length)}: ${ok.length} ok${ok.length ? ` (${list(ok)})` : ''}${failed.length ? `, ${failed.length} failed` : ''}`];
  for (const r of failed) lines.push(`${r.board}: failed${r.error ? ` (${r.error.phase ?? '?'}): ${r.error.code}: ${r.error.message}` : ''}`);
  if (job.error) lines.push(`the flash run failed: ${job.error}`);
  return lines.join('\n');
}

export function createReflash({ grid, flash, flashCommand, credentials, message, list }) {
  const showCommand = (ids) => {
    const el = message('info', 'Boards are flashed over their serial consoles, which only the desk computer reaches. Run there:\n');
    const code = document.createElement('code');
    code.textContent = flashCommand
      ? `${flashCommand} --boards ${ids.join(',')}`
      : `deskbox flash --image <board.dbi> --port <serial port>  # one --port per board: ${list(ids)}`;
    el.append(code);
  };

  const set = (el, kind, text) => {
    el.dataset.kind = kind;
    el.setAttribute('role', kind === 'refused' || kind === 'error' ? 'alert' : 'status');
    el.textContent = text;
  };

  const follow = async (el, id, ids) => {
    const started = Date.now();
    for (;;) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      const who = credentials();
      if (!who) return set(el, 'error', `reflash of ${plural(ids.length)}: logged out; the job (${id}) goes on at the desk`);
      const { status, json } = await api(`/api/flash/${id}`, who);
      if (status !== 200) return set(el, status === 401 || status === 403 ? 'refused' : 'error', `reflash of ${plural(ids.length)}: ${json.error}`);
      if (json.state !== 'running') return set(el, json.state === 'done' ? 'ok' : 'error', outcome(json, list));
      set(el, 'pending', `flashing ${plural(ids.length)}… ${Math.round((Date.now() - started) / 1000)} s`);
    }
  };

  return async () => {
    const ids = grid.selected();
    if (ids.length === 0) return message('error', 'reflash: select boards first');
    if (!flash) return showCommand(ids);
    if (!confirm(`Reflash ${plural(ids.length)} with the desk's board image?`)) return;
    const el = message('pending', `flashing ${plural(ids.length)}…`);
    try {
      const { status, json } = await api('/api/flash', credentials(), { boards: ids });
      if (status === 401 || status === 403) return set(el, 'refused', `The desk refused reflash: ${json.error}`);
      if (status !== 202) return set(el, 'error', `reflash: ${json.error}`);
      await follow(el, json.id, ids);
    } catch (err) {
      set(el, 'error', `reflash: ${err.message}`);
    }
  };
}
