/**
 * Every problem in a YAML file the user writes (a plan, a desk file) at once, one
 * `field.path: what it wants` line per field, so a user fixes a file in one edit instead of
 * one run per mistake.
 */
import * as v from 'valibot';
import { parse as parseYaml } from 'yaml';

/** The shape of valibot schemas this walks to find unknown fields: objects and their wrappers. */
interface SchemaNode {
  type: string;
  entries?: Record<string, SchemaNode>;
  wrapped?: SchemaNode;
}

const isMapping = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** What a YAML document's root is, in the words a user would use for it. */
export function describeRoot(raw: unknown): string | undefined {
  if (isMapping(raw)) return undefined;
  if (raw === null || raw === undefined) return 'empty';
  return Array.isArray(raw) ? 'a list' : `a ${typeof raw} (${JSON.stringify(raw)})`;
}

/** `what` names the kind of file in messages about unknown fields (a plan, a desk file). */
export function planProblems(schema: v.GenericSchema, raw: unknown, what = 'plan'): string[] {
  const parsed = v.safeParse(schema, raw);
  const byField = new Map<string, string[]>();
  const add = (path: string, message: string) => byField.set(path, [...(byField.get(path) ?? []), message]);
  for (const issue of parsed.success ? [] : parsed.issues) {
    // valibot reports only the first unknown key of an object; unknownFields() names them all.
    if (issue.type === 'strict_object' && issue.expected === 'never') continue;
    add(issue.path?.map((p) => String(p.key)).join('.') || '(root)', issue.message);
  }
  for (const [path, known] of unknownFields(schema as unknown as SchemaNode, raw, [])) add(path, `not a ${what} field (known here: ${known.join(', ')})`);
  return [...byField].map(([path, messages]) => `${path}: ${messages.join('; ')}`);
}

function unknownFields(node: SchemaNode, value: unknown, path: string[]): Array<[string, string[]]> {
  if (node.wrapped) return unknownFields(node.wrapped, value, path);
  if (!node.entries || !isMapping(value)) return [];
  const entries = node.entries;
  return Object.entries(value).flatMap(([key, inner]): Array<[string, string[]]> => {
    const child = entries[key];
    return child ? unknownFields(child, inner, [...path, key]) : [[[...path, key].join('.'), Object.keys(entries)]];
  });
}

/**
 * YAML text to a valid value of `schema`, or every problem in it at once. `what` names the
 * file in messages ("plan"), `mapping` says what its root must hold ("(v:, desk:, ...)").
 */
export function parseYamlFields<S extends v.GenericSchema>(schema: S, text: string, what: string, mapping: string): { ok: true; value: v.InferOutput<S> } | { ok: false; problems: string[] } {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    return { ok: false, problems: [`not valid YAML: ${(e as Error).message.split('\n')[0]}`] };
  }
  const root = describeRoot(raw);
  if (root) return { ok: false, problems: [`the ${what} is ${root}; it must be a mapping ${mapping}`] };
  const parsed = v.safeParse(schema, raw);
  return parsed.success ? { ok: true, value: parsed.output } : { ok: false, problems: planProblems(schema, raw, what) };
}
