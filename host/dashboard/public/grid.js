/**
 * The board tiles and the selection. Tiles are created once per board and then only their
 * text and state change, in one batch per animation frame, so 490 boards cost 490 nodes.
 */
import { boardState } from './model.js';

const watts = (w) => (w === undefined ? '– W' : `${w.toFixed(2)} W`);

/** The desk's verdict for the tile's tooltip: its state, since when, and why. */
const healthText = (h) => `${h.state} since ${new Date(h.since).toLocaleString()}: ${h.reason}`;

export function createGrid(root, model, onSelection) {
  const tiles = new Map();
  const selected = new Set();
  let anchor;

  const toggle = (id, on) => {
    if (on) selected.add(id); else selected.delete(id);
    tiles.get(id)?.setAttribute('aria-pressed', String(on));
  };

  // Shift-click selects every board between the last one clicked and this one, as in a file list.
  const click = (id, shift) => {
    const ids = model.ids();
    if (shift && anchor !== undefined) {
      const [from, to] = [ids.indexOf(anchor), ids.indexOf(id)].sort((a, b) => a - b);
      for (const other of ids.slice(from, to + 1)) toggle(other, true);
    } else {
      toggle(id, !selected.has(id));
    }
    anchor = id;
    onSelection(selected.size);
  };

  const tile = (id) => {
    const el = document.createElement('button');
    el.type = 'button';
    el.className = 'tile';
    el.dataset.board = id;
    el.setAttribute('aria-pressed', 'false');
    el.append(document.createElement('b'), document.createElement('span'), document.createElement('span'), document.createElement('i'));
    el.addEventListener('click', (e) => click(id, e.shiftKey));
    tiles.set(id, el);
    return el;
  };

  const draw = (id) => {
    const board = model.boards.get(id);
    const state = boardState(board);
    const up = state !== 'offline' && state !== 'unknown';
    const power = up ? board.telemetry?.powerW : undefined;
    const guests = up ? board.telemetry?.guests?.running ?? 0 : 0;
    const failed = up ? board.telemetry?.guests?.failed ?? 0 : 0;
    const el = tiles.get(id);
    el.dataset.state = state;
    // A board without a verdict yet is taken as healthy, as board sets and /metrics take it.
    const health = board.health;
    el.dataset.health = health?.state ?? 'healthy';
    if (health?.out) el.dataset.out = ''; else delete el.dataset.out;
    const [nameEl, powerEl, guestsEl, healthEl] = el.children;
    nameEl.textContent = id;
    powerEl.textContent = watts(power);
    guestsEl.textContent = `${guests} guest${guests === 1 ? '' : 's'}${failed ? `, ${failed} failed` : ''}`;
    // Healthy is the usual case: only a verdict worth a look takes the tile's last line.
    healthEl.textContent = health && health.state !== 'healthy' ? health.state : '';
    el.title = health ? healthText(health) : 'no health verdict yet';
    el.setAttribute('aria-label', `${id}: ${state}, ${powerEl.textContent}, ${guestsEl.textContent}${health && health.state !== 'healthy' ? `, ${health.state}: ${health.reason}` : ''}`);
  };

  return {
    selected: () => model.ids().filter((id) => selected.has(id)),
    selectAll(on) {
      for (const id of model.boards.keys()) toggle(id, on);
      onSelection(selected.size);
    },
    /** Redraws boards that changed since the last frame; new boards go in at their sorted place. */
    render() {
      if (model.dirty.size === 0) return;
      const added = [...model.dirty].filter((id) => !tiles.has(id));
      for (const id of added) tile(id);
      if (added.length) root.replaceChildren(...model.ids().map((id) => tiles.get(id)));
      for (const id of model.dirty) draw(id);
      model.dirty.clear();
    },
  };
}
