/**
 * The page's picture of the desk, folded from MQTT messages (docs/mqtt.md). No DOM here:
 * `apply` records what changed and the views redraw only that, once per animation frame.
 */
const decoder = new TextDecoder();

function parse(payload) {
  try {
    const value = JSON.parse(decoder.decode(payload));
    return value && typeof value === 'object' && value.v === 1 ? value : undefined;
  } catch {
    return undefined;
  }
}

/** online, booting (up but not ready yet), failing (guests failed), offline, or unknown (no status yet). */
export function boardState(board) {
  const s = board.status;
  if (!s) return 'unknown';
  if (s.state === 'offline') return 'offline';
  if (!s.phases?.some((p) => p.phase === 'ready')) return 'booting';
  return board.telemetry?.guests?.failed > 0 ? 'failing' : 'online';
}

/** `topics`: the desk's topics (topics.js). */
export function createModel(topics, expected) {
  const boards = new Map();
  const dirty = new Set();
  // Topics that had a live message on this connection: a retained copy read later from the
  // broker's store is older than that message and must not replace it.
  let live = new Set();
  const model = { boards, dirty, experiment: undefined, stats: undefined, summaryDirty: true };

  const board = (id) => {
    if (!boards.has(id)) boards.set(id, { id, status: undefined, telemetry: undefined });
    return boards.get(id);
  };
  for (const id of expected) { board(id); dirty.add(id); }

  model.newConnection = () => { live = new Set(); };

  /** Folds one message in; returns whether anything on screen changes. */
  model.apply = (topic, payload, retained) => {
    if (retained && live.has(topic)) return false;
    if (!retained) live.add(topic);
    const value = payload.length === 0 ? null : parse(payload);
    if (value === undefined) return false;
    const about = topics.classify(topic);
    if (!about) return false;
    if (about.kind === 'experiment') model.experiment = value ?? undefined;
    else if (about.kind === 'stats') model.stats = value ?? undefined;
    else {
      board(about.board)[about.kind] = value ?? undefined;
      dirty.add(about.board);
    }
    model.summaryDirty = true;
    return true;
  };

  model.summary = () => {
    let online = 0, powerW = 0, guests = 0;
    for (const b of boards.values()) {
      const state = boardState(b);
      if (state === 'offline' || state === 'unknown') continue;
      if (state !== 'booting') online++;
      powerW += b.telemetry?.powerW ?? 0;
      guests += b.telemetry?.guests?.running ?? 0;
    }
    return { online, total: boards.size, powerW, guests };
  };

  /** Board ids in display order: b2 before b10. */
  model.ids = () => [...boards.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return model;
}
