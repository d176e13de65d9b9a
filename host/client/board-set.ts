/**
 * Board sets, one syntax everywhere: `all`, a count (`8`: the first eight boards), or a list
 * of ids, ranges and tags (`b001-b080,b100,tag:rack2`). Ranges run over the number in the
 * ids, so `b1-b3` and `b001-b003` both mean three boards when the desk has them. A tag names
 * the boards whose config lists it (their status carries it).
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
 * `tagsOf` says which tags a board has (none when not given).
 */
export function resolveBoardSet(spec: string | number, known: readonly string[], tagsOf: (board: string) => readonly string[] = () => []): string[] {
  const text = String(spec).trim();
  const fail = (detail: string) => new BoardSetError(text, detail);
  if (text === 'all') return [...known];
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n < 1 || n > known.length) throw fail(`the desk has ${known.length} boards`);
    return known.slice(0, n);
  }
  const wanted = new Set<string>();
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    if (part.startsWith(TAG_PREFIX)) {
      const tag = part.slice(TAG_PREFIX.length);
      const tagged = known.filter((k) => tagsOf(k).includes(tag));
      if (tagged.length === 0) throw fail(`no board has tag "${tag}"`);
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
      inRange.forEach((k) => wanted.add(k));
    } else {
      if (!known.includes(part)) throw fail(`no board "${part}" on this desk`);
      wanted.add(part);
    }
  }
  if (wanted.size === 0) throw fail('names no board');
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
