/**
 * The grid's filter box (docs/dashboard.md, "Filter"): words separated by spaces, every one of
 * which a board must match.
 *
 *   offline, online, booting, failing, unknown      the tile's state (`state:offline` too)
 *   healthy, suspect, quarantined, recovering,
 *   retired, out                                    the desk's health verdict (`out`: out of service)
 *   tag:rack1                                       the board has that tag
 *   b01, id:b0                                      the board's id contains the text
 *   -word                                           the board does not match `word`
 *
 * Case does not matter. Pure: the grid asks `matches` of each board.
 */
export const STATES = ['online', 'booting', 'failing', 'offline', 'unknown'];
export const VERDICTS = ['healthy', 'suspect', 'quarantined', 'recovering', 'retired'];

/** `{ terms, problem }`: `problem` names the first word that cannot match anything, else undefined. */
export function parseFilter(text) {
  const terms = [];
  let problem;
  for (const word of String(text).toLowerCase().split(/\s+/).filter(Boolean)) {
    const negate = word.startsWith('-') && word.length > 1;
    const body = negate ? word.slice(1) : word;
    const colon = body.indexOf(':');
    const [key, value] = colon > 0 ? [body.slice(0, colon), body.slice(colon + 1)] : ['', body];
    if (key === 'tag' || key === 'id') {
      if (!value) problem ??= `"${word}": give a ${key} after the colon`;
      else terms.push({ kind: key, value, negate });
    } else if (key === 'state' || key === '') {
      if (STATES.includes(value)) terms.push({ kind: 'state', value, negate });
      else if (VERDICTS.includes(value) || value === 'out') terms.push({ kind: 'health', value, negate });
      else if (key === 'state') problem ??= `"${word}": states are ${[...STATES, ...VERDICTS, 'out'].join(', ')}`;
      else terms.push({ kind: 'id', value, negate });
    } else {
      problem ??= `"${word}": unknown key "${key}:" (tag:, id:, state:)`;
    }
  }
  return { terms, problem };
}

/** Whether `board` (`{ id, state, health?: { state, out }, tags: string[] }`) matches every term. */
export function matches(filter, board) {
  return filter.terms.every((t) => holds(t, board) !== t.negate);
}

function holds(term, board) {
  switch (term.kind) {
    case 'tag': return board.tags.some((tag) => tag.toLowerCase() === term.value);
    case 'id': return board.id.toLowerCase().includes(term.value);
    case 'state': return board.state === term.value;
    case 'health':
      if (term.value === 'out') return Boolean(board.health?.out);
      // No verdict yet counts as healthy, as on the tiles.
      return (board.health?.state ?? 'healthy') === term.value;
    default: return false;
  }
}
