/**
 * Long lists of ids, short: `b001,b002,b003,b100` reads `b001-b003,b100`. Board lists come out
 * in the board-set syntax (host/experiment/board-set.ts), so a printed list pasted back as a
 * board set names the same boards. Guest ids (`b01-g0003`) have digits before their number,
 * which that syntax does not take as a range; they compress for reading only.
 */

/** An id split into the text before its number and the number (as written, and its value). */
interface Numbered { prefix: string; digits: string; n: number }

/** The prefixes board-set ranges accept. */
const BOARD_ID = /^([A-Za-z_.-]*?)(\d+)$/;
const ANY_ID = /^(.*?)(\d+)$/;
/** Two in a row read as well listed; a range pays off from three. */
const MIN_RUN = 3;

function numbered(id: string, grammar: RegExp): Numbered | undefined {
  const m = grammar.exec(id);
  return m ? { prefix: m[1]!, digits: m[2]!, n: Number(m[2]) } : undefined;
}

/** Whether `b` directly follows `a`, written alike (b9,b10 do; b09,b010 do not). */
function follows(a: Numbered, b: Numbered): boolean {
  if (a.prefix !== b.prefix || b.n !== a.n + 1) return false;
  const padded = (x: Numbered) => x.digits.length > 1 && x.digits.startsWith('0');
  return a.digits.length === b.digits.length || (!padded(a) && !padded(b));
}

function compress(ids: readonly string[], grammar: RegExp): string {
  const parts: string[] = [];
  for (let i = 0; i < ids.length;) {
    let j = i;
    for (let prev = numbered(ids[i]!, grammar); prev && j + 1 < ids.length;) {
      const next = numbered(ids[j + 1]!, grammar);
      if (!next || !follows(prev, next)) break;
      prev = next;
      j++;
    }
    if (j - i + 1 >= MIN_RUN) parts.push(`${ids[i]}-${ids[j]}`);
    else parts.push(...ids.slice(i, j + 1));
    i = j + 1;
  }
  return parts.join(',');
}

/** Boards in desk order, as a board set: runs of consecutive ids become ranges. */
export function compressBoardList(boards: readonly string[]): string {
  return compress(boards, BOARD_ID);
}

/** Guest ids (`<board>-g<index>`) in order, with runs of one board's guests as ranges. */
export function compressGuestList(guests: readonly string[]): string {
  return compress(guests, ANY_ID);
}
