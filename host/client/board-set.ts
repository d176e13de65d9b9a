/**
 * Board sets, one syntax everywhere: `all`, a count (`8`: the first eight boards), or a list
 * of ids, ranges and tags (`b001-b080,b100,tag:rack2`). Ranges run over the number in the
 * ids, so `b1-b3` and `b001-b003` both mean three boards when the desk has them. A tag names
 * the boards whose config lists it (their status carries it). Boards the desk has taken out
 * (quarantined, recovering, retired: host/health/) are left out of everything but their own id.
 */
export class BoardSetError extends Error {
  constructor(readonly spec: string, detail: string) {
    super(`board set "${spec}": ${detail}`);
    this.name = 'BoardSetError';
  }
}

const RANGE = /^([A-Za-z_.-]*?)(\d+)-([A-Za-z_.-]*?)(\d+)$/;

const TAG_PREFIX = 'tag:';

/**
 * The boards of `known` (a desk's boards, in order) that `spec` names, in desk order.
 * `tagsOf` says which tags a board has (none when not given); `out` which boards are taken out
 * (named by id they are still given: a person asking for b07 by name means it).
 */
export function resolveBoardSet(spec: string | number, known: readonly string[], tagsOf: (board: string) => readonly string[] = () => [], out: (board: string) => boolean = () => false): string[] {
  const text = String(spec).trim();
  const fail = (detail: string) => new BoardSetError(text, detail);
  const usable = known.filter((k) => !out(k));
  const taken = known.length - usable.length;
  if (text === 'all') return usable;
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n < 1 || n > usable.length) throw fail(`the desk has ${usable.length} boards${taken ? ` in service (${taken} taken out)` : ''}`);
    return usable.slice(0, n);
  }
  const wanted = new Set<string>();
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    if (part.startsWith(TAG_PREFIX)) {
      const tag = part.slice(TAG_PREFIX.length);
      const tagged = usable.filter((k) => tagsOf(k).includes(tag));
      if (tagged.length === 0) throw fail(`no board${taken ? ' in service' : ''} has tag "${tag}"`);
      tagged.forEach((k) => wanted.add(k));
      continue;
    }
    const range = RANGE.exec(part);
    if (range) {
      const [, prefixA, a, prefixB, b] = range as unknown as [string, string, string, string, string];
      if (prefixB && prefixB !== prefixA) throw fail(`range ${part} mixes prefixes`);
      const [lo, hi] = [Number(a), Number(b)];
      if (lo > hi) throw fail(`range ${part} runs backwards`);
      const inRange = known.filter((k) => {
        const m = /^([A-Za-z_.-]*?)(\d+)$/.exec(k);
        return m !== null && m[1] === prefixA && Number(m[2]) >= lo && Number(m[2]) <= hi;
      });
      if (inRange.length !== hi - lo + 1) throw fail(`range ${part} names ${hi - lo + 1} boards, the desk has ${inRange.length} of them`);
      inRange.filter((k) => !out(k)).forEach((k) => wanted.add(k));
    } else {
      if (!known.includes(part)) throw fail(`no board "${part}" on this desk`);
      wanted.add(part);
    }
  }
  if (wanted.size === 0) throw fail(taken ? 'names no board in service' : 'names no board');
  return known.filter((k) => wanted.has(k));
}

/** Tag name -> board set, turned around into board -> its tags (for a desk file). */
export function tagsByBoard(sets: Record<string, string>, known: readonly string[]): Record<string, string[]> {
  const byBoard: Record<string, string[]> = {};
  for (const [tag, spec] of Object.entries(sets)) {
    for (const board of resolveBoardSet(spec, known)) (byBoard[board] ??= []).push(tag);
  }
  return byBoard;
}
