/**
 * The toolbar's actions on the selected boards, and the message area that shows how each went.
 * The broker (or, for Reflash, the dashboard server) decides what a user may do; the page only
 * greys out what the user's role would be refused, once the server has said what that is
 * (`/api/me`). A reboot or stop of more than one board is confirmed first.
 */
import { createReflash } from './reflash.js';
import { confirmBoards } from './confirm.js';

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

  const run = async (what, op, args, timeoutMs, { confirm = false } = {}) => {
    const ids = grid.selected();
    if (ids.length === 0) return message('error', `${what}: select boards first (click a tile, shift-click a range, or Select all)`);
    if (confirm && ids.length > 1 && !(await confirmBoards(what, ids))) return message('info', `${what} of ${ids.length} boards cancelled`);
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

  $('act-reboot').addEventListener('click', () => run('reboot', 'reboot', undefined, 15_000, { confirm: true }));
  $('act-start').addEventListener('click', () => {
    const count = Number($('guest-count').value);
    if (!Number.isInteger(count) || count < 1) return message('error', 'start guests: give a whole number of guests per board');
    // The board answers once its guests are ready or after its own 60 s wait.
    run(`start ${count} guest${count === 1 ? '' : 's'}`, 'guests.start', { count }, 75_000);
  });
  $('act-stop').addEventListener('click', () => run('stop guests', 'guests.stop', { all: true }, 75_000, { confirm: true }));
  $('act-reflash').addEventListener('click', createReflash({ grid, flash, flashCommand, credentials, message, list }));
  $('select-all').addEventListener('click', () => grid.selectAll(true));
  $('select-none').addEventListener('click', () => grid.selectAll(false));

  const commands = ['act-reboot', 'act-start', 'act-stop', 'act-reflash'].map($);
  return {
    /**
     * What the user may do (`/api/me`'s answer), or undefined when the server cannot say (a
     * real desk's dashboard has no users file): then everything is offered and the broker decides.
     */
    allow(me) {
      for (const button of commands) {
        const may = !me || (button.id === 'act-reflash' && flash ? me.may.flash : me.may.command);
        button.disabled = !may;
        button.title = may ? '' : `user "${me.username}" has the ${me.role} role, which watches the desk: only the host role may command boards (the broker would refuse)`;
      }
    },
    /** Logged out: the next user starts with no selection and no messages. */
    clear() {
      grid.selectAll(false);
      log.replaceChildren();
      this.allow(undefined);
    },
  };
}
