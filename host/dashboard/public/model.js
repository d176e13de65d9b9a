/**
 * The page's picture of the desk, folded from MQTT messages (docs/mqtt.md). No DOM here:
 * `apply` records what changed and the views redraw only that, once per animation frame.
 * Every message is checked by the wire contract (`contract`: /contract.js, the code `boards`,
 * `monitor` and /metrics run), so a payload they refuse changes nothing here either. A board's
 * `health` is the desk's verdict on it (docs/health.md), undefined until the desk gives one.
 * The model also keeps what no single message says: each board's power over the last minutes,
 * the desk's, since when a board is offline as the page saw it go, and when it was last heard.
 */
import { createHistory } from './history.js';

/** The desk's power is sampled this often (app.js), so its history covers HISTORY_WINDOW_MS. */
export const DESK_SAMPLE_MS = 2000;

/** online, booting (up but not ready yet), failing (guests failed), offline, or unknown (no status yet). */
export function boardState(board) {
  const s = board.status;
  if (!s) return 'unknown';
  if (s.state === 'offline') return 'offline';
  if (!s.phases.some((p) => p.phase === 'ready')) return 'booting';
  return board.telemetry?.guests.failed > 0 ? 'failing' : 'online';
}

/** `topics`: the desk's topics (topics.js); `now`: the page's clock, for the fold's ordering. */
export function createModel({ desk, topics, expected, contract, tags = {}, now = () => Date.now() }) {
  const boards = new Map();
  const dirty = new Set();
  const fold = contract.createBoardFold(desk);
  const tally = contract.createRejectionTally();
  // A cluster's nodes each publish their own figures: the page shows them added up.
  const stats = contract.createStatsFold();
  // Experiment and stats topics that had a live message on this connection: a retained copy
  // read later from the broker's store is older than that message and must not replace it.
  let live = new Set();
  const deskPower = createHistory({ capacity: 300 });
  const model = { boards, dirty, experiment: undefined, stats: undefined, summaryDirty: true, deskPower };

  // power: a history.js series, made at the first telemetry; offlineSeenAt: when this page saw
  // the board's status turn offline live (undefined for one already offline when it connected);
  // lastOnline: its latest online status, whose version and image an offline one does not say.
  const board = (id) => {
    if (!boards.has(id)) boards.set(id, { id, status: undefined, telemetry: undefined, health: undefined, power: undefined, offlineSeenAt: undefined, lastSeen: undefined, lastOnline: undefined });
    return boards.get(id);
  };

  /** The board's tags: its status's own, else the desk file's. */
  model.tags = (b) => (b.status?.state === 'online' && b.status.tags) || tags[b.id] || [];

  /** Takes the desk's power now into its history (app.js calls it every DESK_SAMPLE_MS). */
  model.sampleDesk = (at = now()) => deskPower.add(at, model.summary().powerW);

  const seen = (b, at) => { if (at !== undefined && !(b.lastSeen >= at)) b.lastSeen = at; };
  const noteStatus = (b, before, retained) => {
    const s = b.status;
    if (s?.state === 'online') b.lastOnline = s;
    if (s?.state !== 'offline') b.offlineSeenAt = undefined;
    else if (before?.state !== 'offline') b.offlineSeenAt = retained ? undefined : now();
    if (s?.state === 'online' && !retained) seen(b, now());
  };
  const noteTelemetry = (b) => {
    const t = b.telemetry;
    if (!t) return;
    (b.power ??= createHistory()).add(t.at, t.powerW);
    seen(b, t.at);
  };
  for (const id of expected) { board(id); dirty.add(id); }

  model.newConnection = () => {
    live = new Set();
    fold.newConnection();
  };

  const refuse = (topic, reason) => {
    tally.add({ topic, reason, detail: 'refused by the contract' });
    model.summaryDirty = true;
    return true;
  };

  /** A desk-wide message (experiment or stats): empty clears it, else it must pass `decodeFn`. */
  const deskWide = (key, topic, payload, retained, decodeFn) => {
    if (retained && live.has(topic)) return false;
    if (!retained) live.add(topic);
    if (payload.length === 0) model[key] = undefined;
    else {
      const d = decodeFn(payload);
      if (!d.ok) return refuse(topic, d.problem);
      model[key] = d.value;
    }
    model.summaryDirty = true;
    return true;
  };

  /** The desk's verdict on board `id`: empty clears it; one about another board is refused. */
  const verdict = (id, topic, payload) => {
    if (payload.length === 0) {
      if (!boards.has(id)) return false;
      board(id).health = undefined;
    } else {
      const d = contract.decodeBoardVerdict(payload);
      if (!d.ok) return refuse(topic, d.problem);
      if (d.value.board !== id) return refuse(topic, 'wrong-board');
      board(id).health = { ...d.value, out: contract.isOutOfService(d.value.state) };
    }
    dirty.add(id);
    model.summaryDirty = true;
    return true;
  };

  /** Folds one message in; returns whether anything on screen changes. */
  model.apply = (topic, payload, retained) => {
    const about = topics.classify(topic);
    if (about?.kind === 'health') return verdict(about.board, topic, payload);
    if (about?.kind === 'experiment') return deskWide('experiment', topic, payload, retained, contract.decodeExperimentProgress);
    if (about?.kind === 'stats') return deskWide('stats', topic, payload, retained, (p) => {
      const d = contract.decodeStats(p);
      if (!d.ok) return d;
      stats.add(d.value);
      return { ok: true, value: stats.current() };
    });
    const outcome = fold.apply(topic, payload, retained, now());
    if (outcome.kind === 'rejected') {
      tally.add(outcome.rejection);
      model.summaryDirty = true;
      return true;
    }
    if (outcome.kind !== 'changed') return false;
    const b = board(outcome.board);
    const before = b.status;
    b[outcome.channel] = fold[outcome.channel].get(outcome.board);
    if (outcome.channel === 'status') noteStatus(b, before, retained);
    else noteTelemetry(b);
    dirty.add(outcome.board);
    model.summaryDirty = true;
    return true;
  };

  /** What the page refused: `{total, byReason, recent}`. */
  model.rejected = () => tally.summary();

  model.summary = () => {
    let online = 0, powerW = 0, guests = 0;
    const outOfService = [];
    for (const b of boards.values()) {
      if (b.health?.out) outOfService.push(b.health);
      const state = boardState(b);
      if (state === 'offline' || state === 'unknown') continue;
      if (state !== 'booting') online++;
      powerW += b.telemetry?.powerW ?? 0;
      guests += b.telemetry?.guests.running ?? 0;
    }
    return { online, total: boards.size, powerW, guests, outOfService, rejected: tally.summary() };
  };

  /** Board ids in display order: b2 before b10. */
  model.ids = () => [...boards.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return model;
}
