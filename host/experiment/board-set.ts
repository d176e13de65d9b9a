/**
 * Board sets, one syntax everywhere: `all`, a count (`8`: the first eight boards), or a list
 * of ids and ranges (`b001-b080,b100`). Ranges run over the number in the ids, so
 * `b1-b3` and `b001-b003` both mean three boards when the desk has them.
 */
export class BoardSetError extends Error {
  constructor(readonly spec: string, detail: string) {
    super(`board set "${spec}": ${detail}`);
    this.name = 'BoardSetError';
  }
}

const RANGE = /^([A-Za-z_.-]*?)(\d+)-([A-Za-z_.-]*?)(\d+)$/;

/** The boards of `known` (a desk's boards, in order) that `spec` names, in desk order. */
export function resolveBoardSet(spec: string | number, known: readonly string[]): string[] {
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
