/**
 * Keeps an `exec` reply under the broker's payload limit. What counts is the JSON encoding
 * (a control byte takes six), so texts are measured encoded. The budget is shared fairly:
 * short texts stay whole, and the long ones split what is left, each keeping its head.
 */
import type { ExecResult } from '../../broker/contract/commands/exec.ts';

const TEXT_FIELDS = ['stdout', 'stderr', 'error'] as const;

/** Bytes of `text` as a JSON string, quotes included. */
export function jsonBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text));
}

/** The longest head of `text` whose JSON encoding takes at most `maxBytes`. */
export function clipText(text: string, maxBytes: number): string {
  if (jsonBytes(text) <= maxBytes) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (jsonBytes(text.slice(0, mid)) <= maxBytes) lo = mid;
    else hi = mid - 1;
  }
  // Half a surrogate pair would become a replacement character on the wire.
  const last = text.charCodeAt(lo - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? lo - 1 : lo);
}

/** The largest share each text may take so that all of them together fit `budget`. */
function fairShare(sizes: number[], budget: number): number {
  const sorted = [...sizes].sort((a, b) => a - b);
  let left = budget;
  for (let i = 0; i < sorted.length; i++) {
    const share = Math.floor(left / (sorted.length - i));
    if (sorted[i]! > share) return share;
    left -= sorted[i]!;
  }
  return Infinity;
}

/**
 * The results with their texts clipped so they add at most `budget` bytes to the encoded
 * results with empty texts; a clipped result is marked `truncated`.
 */
export function fitResults<R extends ExecResult>(results: readonly R[], budget: number): R[] {
  const sizes = results.flatMap((r) => TEXT_FIELDS.map((f) => (r[f] === undefined ? 0 : jsonBytes(r[f]!) - 2)));
  const share = Math.max(0, fairShare(sizes, budget));
  if (share === Infinity) return [...results];
  return results.map((r) => {
    const clipped = { ...r };
    for (const f of TEXT_FIELDS) {
      const text = r[f];
      if (text === undefined || jsonBytes(text) - 2 <= share) continue;
      clipped[f] = clipText(text, share + 2);
      clipped.truncated = true;
    }
    return clipped;
  });
}

/** Bytes the results take as JSON with every text emptied: what the budget does not cover. */
export function fixedBytes(results: readonly ExecResult[]): number {
  return Buffer.byteLength(JSON.stringify(results.map((r) => ({ ...r, stdout: '', stderr: '', ...(r.error === undefined ? {} : { error: '' }) }))));
}
