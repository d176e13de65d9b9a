/**
 * Grouped exec replies for people (a header per group, its output once, the failures, a
 * count) and for machines (`--json`: the same groups, with the complete target lists).
 */
import { compressBoardList, compressGuestList } from './board-ranges.ts';
import { describeResult, type GroupedReplies } from './group-replies.ts';

export interface RenderContext {
  /** Targets are guests (`--guests`); a board that failed as a whole is a target too. */
  guests: boolean;
  /** The boards asked. */
  boards: readonly string[];
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** Output as it came, ending in a newline so the next header starts a line. */
const block = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);

export function renderText(grouped: GroupedReplies, ctx: RenderContext): string {
  const noun = ctx.guests ? 'guest' : 'board';
  const list = ctx.guests ? compressGuestList : compressBoardList;
  const out: string[] = [];
  for (const { targets, result } of grouped.groups) {
    out.push(`── ${plural(targets.length, noun)}: ${list(targets)} (${describeResult(result)})\n`);
    if (result.stdout) out.push(block(result.stdout));
    if (result.stderr) out.push('·· stderr\n', block(result.stderr));
    if (!result.stdout && !result.stderr) out.push('(no output)\n');
    if (result.truncated) out.push('(output truncated)\n');
  }
  if (grouped.failed.length > 0) {
    out.push('failed:\n', ...grouped.failed.map((f) => `  ${f.target}: ${f.reason}\n`));
  }
  out.push(`${summary(grouped, ctx)}\n`);
  return out.join('');
}

/** `490 boards: 488 ok, 2 failed`; `40 guests on 20 boards: 40 ok, 0 failed, 1 board failed as a whole`. */
function summary(grouped: GroupedReplies, ctx: RenderContext): string {
  const ok = grouped.total - grouped.failed.length;
  if (!ctx.guests) return `${plural(grouped.total, 'board')}: ${ok} ok, ${grouped.failed.length} failed`;
  const wholeBoards = grouped.failed.filter((f) => ctx.boards.includes(f.target)).length;
  const guests = grouped.total - wholeBoards;
  return `${plural(guests, 'guest')} on ${plural(ctx.boards.length, 'board')}: ${ok} ok, ${grouped.failed.length - wholeBoards} failed`
    + (wholeBoards > 0 ? `, ${plural(wholeBoards, 'board')} failed as a whole` : '');
}

export function renderJson(grouped: GroupedReplies, ctx: RenderContext) {
  const list = ctx.guests ? compressGuestList : compressBoardList;
  return {
    ok: grouped.failed.length === 0,
    boards: ctx.boards.length,
    targets: grouped.total,
    succeeded: grouped.total - grouped.failed.length,
    groups: grouped.groups.map((g) => ({ targets: g.targets, compressed: list(g.targets), ...g.result })),
    failed: grouped.failed,
  };
}
