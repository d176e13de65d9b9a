/**
 * Where two runs' plans differ, setting by setting: two runs are only comparable figure for
 * figure when they ran the same plan, so `compare` names every setting that was not the same.
 */
export interface PlanDifference { path: string; a: unknown; b: unknown }

/** Prose, not a setting: two runs with differently worded descriptions still ran the same plan. */
const IGNORED = new Set(['description']);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Differences between two plans (parsed, defaults filled, so `reboot: true` and no `reboot`
 * are one setting), as dotted paths in the order the first plan lists them. Lists compare whole:
 * a list is one setting (argv, networks).
 */
export function planDifferences(a: unknown, b: unknown, path = ''): PlanDifference[] {
  if (isRecord(a) && isRecord(b)) {
    const keys = [...Object.keys(a), ...Object.keys(b).filter((k) => !(k in a))];
    return keys.filter((k) => !(path === '' && IGNORED.has(k))).flatMap((k) => planDifferences(a[k], b[k], path ? `${path}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [{ path: path || '(plan)', a, b }];
}

const show = (v: unknown) => (v === undefined ? '(unset)' : typeof v === 'string' ? v : JSON.stringify(v));

/** One line for a terminal or a page: `hold: 3000 → 600000, reboot: true → false`. */
export function describeDifferences(diffs: readonly PlanDifference[]): string {
  return diffs.map((d) => `${d.path}: ${show(d.a)} → ${show(d.b)}`).join(', ');
}
