/**
 * The board tiles, the selection, the filter and the order. Tiles are created once per board
 * and then only their text, state and visibility change, in one batch per animation frame, so
 * 490 boards cost 490 nodes; a filter keystroke only toggles `hidden`, and a new order moves
 * the same nodes.
 */
import { boardState } from './model.js';
import { matches, parseFilter } from './filter.js';
import { offlineText } from './board-text.js';

const watts = (w) => (w === undefined ? '– W' : `${w.toFixed(2)} W`);
/** The desk's verdict for the tile's tooltip: its state, since when, and why. */
const healthText = (h) => `${h.state} since ${new Date(h.since).toLocaleString()}: ${h.reason}`;
/** `state` order: what needs a look first. */
const STATE_RANK = { failing: 0, offline: 1, booting: 2, unknown: 3, online: 4 };
const UNTAGGED = '(no tag)';
const byId = (a, b) => a.localeCompare(b, 'en', { numeric: true });

/** `onSelection(n)`: the selection changed; `onOpen(id)`: the user asked for a board's details. */
export function createGrid(root, model, { onSelection, onOpen, onShown }) {
  const tiles = new Map();
  const heads = new Map();
  const selected = new Set();
  // What each tile was last drawn as, for the filter and the order without another look at the model.
  const facts = new Map();
  let filter = parseFilter('');
  let order = 'id';
  let anchor;

  const toggle = (id, on) => {
    if (on) selected.add(id); else selected.delete(id);
    tiles.get(id)?.setAttribute('aria-pressed', String(on));
  };
  const shown = (id) => !tiles.get(id)?.hidden;

  // Shift-click selects every shown board between the last one clicked and this one, as in a file list.
  const click = (id, shift) => {
    const ids = ordered().filter(shown);
    if (shift && anchor !== undefined && ids.includes(anchor)) {
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
    el.setAttribute('aria-haspopup', 'dialog');
    el.append(document.createElement('b'), document.createElement('span'), document.createElement('span'), document.createElement('i'));
    el.addEventListener('click', (e) => click(id, e.shiftKey));
    // Enter opens the board's details (Space still selects); so does a double click, whose two clicks cancel out.
    el.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); onOpen(id); } });
    el.addEventListener('dblclick', () => onOpen(id));
    tiles.set(id, el);
    return el;
  };

  const groupOf = (id) => facts.get(id)?.tags[0] ?? UNTAGGED;
  const ordered = () => {
    const ids = [...tiles.keys()].sort(byId);
    if (order === 'state') return ids.sort((a, b) => STATE_RANK[facts.get(a).state] - STATE_RANK[facts.get(b).state] || byId(a, b));
    if (order === 'tag') return ids.sort((a, b) => (groupOf(a) === UNTAGGED) - (groupOf(b) === UNTAGGED) || byId(groupOf(a), groupOf(b)) || byId(a, b));
    return ids;
  };

  const head = (tag) => {
    if (!heads.has(tag)) {
      const el = document.createElement('h3');
      el.className = 'group';
      heads.set(tag, el);
    }
    return heads.get(tag);
  };

  /** Group headings' counts and visibility, after the filter or the grouping changed. */
  const countGroups = () => {
    if (order !== 'tag') return;
    const counts = new Map();
    for (const id of tiles.keys()) {
      const c = counts.get(groupOf(id)) ?? { all: 0, shown: 0 };
      c.all++;
      if (shown(id)) c.shown++;
      counts.set(groupOf(id), c);
    }
    for (const [tag, el] of heads) {
      const c = counts.get(tag) ?? { all: 0, shown: 0 };
      el.textContent = `${tag === UNTAGGED ? tag : `tag:${tag}`} · ${c.shown === c.all ? c.all : `${c.shown} of ${c.all}`}`;
      el.hidden = c.shown === 0;
    }
  };

  const arrange = () => {
    const ids = ordered();
    if (order !== 'tag') {
      root.replaceChildren(...ids.map((id) => tiles.get(id)));
      return;
    }
    const nodes = [];
    let last;
    for (const id of ids) {
      if (groupOf(id) !== last) nodes.push(head(last = groupOf(id)));
      nodes.push(tiles.get(id));
    }
    root.replaceChildren(...nodes);
    countGroups();
  };

  const report = () => onShown([...tiles.keys()].filter(shown).length, tiles.size);
  const judge = (id) => { tiles.get(id).hidden = !matches(filter, { id, ...facts.get(id) }); };

  /** Draws one board; returns whether its place in the current order moved. */
  const draw = (id) => {
    const board = model.boards.get(id);
    const state = boardState(board);
    const tags = model.tags(board);
    const before = facts.get(id);
    facts.set(id, { state, tags, health: board.health });
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
    const off = state === 'offline' ? offlineText(board.status, board.offlineSeenAt) : undefined;
    powerEl.textContent = off ? off.short : watts(power);
    guestsEl.textContent = off ? off.reason : `${guests} guest${guests === 1 ? '' : 's'}${failed ? `, ${failed} failed` : ''}`;
    // Healthy is the usual case: only a verdict worth a look takes the tile's last line.
    healthEl.textContent = health && health.state !== 'healthy' ? health.state : '';
    const verdict = health ? healthText(health) : 'no health verdict yet';
    el.title = `${off ? `${off.long}\n` : ''}${verdict}`;
    const what = off ? off.long : `${state}, ${powerEl.textContent}, ${guestsEl.textContent}`;
    el.setAttribute('aria-label', `${id}: ${what}${health && health.state !== 'healthy' ? `, ${health.state}: ${health.reason}` : ''}`);
    judge(id);
    return (order === 'state' && before?.state !== state) || (order === 'tag' && before?.tags[0] !== tags[0]);
  };

  return {
    selected: () => ordered().filter((id) => selected.has(id)),
    /** Selects every board the filter shows, or clears the whole selection. */
    selectAll(on) {
      for (const id of tiles.keys()) if (!on || shown(id)) toggle(id, on);
      onSelection(selected.size);
    },
    /** Shows only the boards `text` matches (filter.js); returns what is wrong with it, if anything. */
    setFilter(text) {
      filter = parseFilter(text);
      for (const id of tiles.keys()) judge(id);
      countGroups();
      report();
      return filter.problem;
    },
    /** `id`, `state` (what needs a look first) or `tag` (grouped by each board's first tag). */
    setOrder(next) {
      order = next;
      if (order !== 'tag') for (const el of heads.values()) el.remove();
      arrange();
    },
    /** Redraws boards that changed since the last frame; new boards go in at their place. */
    render() {
      if (model.dirty.size === 0) return;
      const added = [...model.dirty].filter((id) => !tiles.has(id));
      for (const id of added) tile(id);
      let moved = added.length > 0;
      for (const id of model.dirty) if (draw(id)) moved = true;
      model.dirty.clear();
      if (moved) arrange();
      else countGroups();
      report();
    },
  };
}
