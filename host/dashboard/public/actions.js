/**
 * The toolbar's actions on the selected boards, and the message area that shows how each went.
 * Every action is sent whatever the user's role: the broker (or, for Reflash, the dashboard
 * server), not the page, decides.
 */
import { createReflash } from './reflash.js';

const $ = (id) => document.getElementById(id);
const MAX_MESSAGES = 30;
const SHOWN_IDS = 12;

const list = (ids) => ids.length <= SHOWN_IDS ? ids.join(', ') : `${ids.slice(0, SHOWN_IDS).join(', ')} and ${ids.length - SHOWN_IDS} more`;

export function createActions({ topics, grid, connection, flash, flashCommand, credentials }) {
  const log = $('messages');

  const message = (kind, text) => {
    const el = document.createElement('div');
    el.className = 'msg';
    el.dataset.kind = kind;
    el.textContent = text;
    log.prepend(el);
    while (log.children.length > MAX_MESSAGES) log.lastChild.remove();
    return el;
  };

  const describe = (what, ids, outcomes) => {
    const refused = ids.filter((id) => outcomes.get(id)?.refused);
    if (refused.length) {
      return ['refused', `The broker refused ${what}: user "${credentials()?.username}" may not command boards (it closed the connection instead of accepting the command for ${list(refused)}). Reconnecting to keep watching.`];
    }
    const ok = ids.filter((id) => outcomes.get(id)?.ok);
    const failed = ids.filter((id) => outcomes.has(id) && !outcomes.get(id).ok);
    const waiting = ids.length - ok.length - failed.length;
    const lines = [`${what} → ${ids.length} board${ids.length === 1 ? '' : 's'}: ${ok.length} ok${ok.length ? ` (${list(ok)})` : ''}${waiting ? `, waiting for ${waiting}` : ''}`];
    for (const id of failed) lines.push(`${id}: ${outcomes.get(id).error.code}: ${outcomes.get(id).error.message}`);
    return [failed.length ? 'error' : waiting ? 'pending' : 'ok', lines.join('\n')];
  };

  const run = async (what, op, args, timeoutMs) => {
    const ids = grid.selected();
    if (ids.length === 0) return message('error', `${what}: select boards first (click a tile, shift-click a range, or Select all)`);
    const outcomes = new Map();
    const el = message('pending', '');
    const show = () => {
      const [kind, text] = describe(what, ids, outcomes);
      el.dataset.kind = kind;
      el.setAttribute('role', kind === 'refused' || kind === 'error' ? 'alert' : 'status');
      el.textContent = text;
    };
    show();
    await Promise.all(ids.map(async (id) => {
      outcomes.set(id, await connection().command(topics.cmd(id), op, args, timeoutMs));
      show();
    }));
  };

  $('act-reboot').addEventListener('click', () => run('reboot', 'reboot', undefined, 15_000));
  $('act-start').addEventListener('click', () => {
    const count = Number($('guest-count').value);
    if (!Number.isInteger(count) || count < 1) return message('error', 'start guests: give a whole number of guests per board');
    // The board answers once its guests are ready or after its own 60 s wait.
    run(`start ${count} guest${count === 1 ? '' : 's'}`, 'guests.start', { count }, 75_000);
  });
  $('act-stop').addEventListener('click', () => run('stop guests', 'guests.stop', { all: true }, 75_000));
  $('act-reflash').addEventListener('click', createReflash({ grid, flash, flashCommand, credentials, message, list }));
  $('select-all').addEventListener('click', () => grid.selectAll(true));
  $('select-none').addEventListener('click', () => grid.selectAll(false));
}
