/**
 * Runs a plan's steps: phase by phase (deletions, then namespaces, devices, addresses, routes
 * and qdiscs); within a phase one `ip`/`bridge`/`tc -batch` per tool and namespace, several
 * namespaces at once, so a board with hundreds of guests spawns a few processes per guest
 * namespace rather than one per command. The board's own namespace is `-n <namespace>` when
 * configured. The first failure stops the run: a NetCommandError naming the command.
 */
import type { Cmd, Step } from './planner.ts';
import { inParallel, runBatch, runBatches, runOk, type Batch } from './run.ts';

const WIDTH = 8;

export interface ExecuteOptions {
  /** The board's own namespace (config.net.namespace); undefined: the agent's. */
  boardNs: string | undefined;
}

export async function execute(steps: readonly Step[], opts: ExecuteOptions): Promise<void> {
  const cmds = steps.flatMap((s) => s.cmds);
  const phases = [...new Set(cmds.map((c) => c.phase))].sort((a, b) => a - b);
  const grouped = phases.map((phase) => {
    const groups = new Map<string, Cmd[]>();
    for (const c of cmds) {
      if (c.phase !== phase) continue;
      const key = c.tool === 'exec' ? `exec:${groups.size}` : `${c.tool}:${c.ns === undefined ? '' : c.ns === null ? '@board' : c.ns}`;
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    return [...groups.values()].map((group) => toBatch(group, opts));
  });
  // A few batches (a guest joining: its namespace, its veth, its addresses) cost one shell and
  // its children instead of one Node spawn each: a join takes half the time.
  if (grouped.flat().length <= ONE_SHELL_MAX) return runBatches(grouped.flat());
  for (const batches of grouped) await inParallel(batches, WIDTH, (b) => (b.tool === 'exec' ? runOk(b.file!, b.args!).then(() => undefined) : runBatch(b.tool, b.ns, b.lines)));
}

/** Batches up to this many run as one shell script, in order. */
const ONE_SHELL_MAX = 6;

function toBatch(group: Cmd[], opts: ExecuteOptions): Batch {
  const first = group[0]!;
  if (first.tool === 'exec') {
    const [file, ...args] = first.line.split(' ');
    return { tool: 'exec', ns: undefined, lines: [first.line], file: file!, args };
  }
  return { tool: first.tool, ns: first.ns === null ? opts.boardNs : first.ns, lines: group.map((c) => c.line) };
}
