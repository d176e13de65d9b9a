/**
 * Runs a plan's steps: phase by phase (deletions, then namespaces, devices, addresses, routes
 * and qdiscs); within a phase one `ip`/`bridge`/`tc -batch` per tool and namespace, several
 * namespaces at once, so a board with hundreds of guests spawns a few processes per guest
 * namespace rather than one per command. The board's own namespace is `-n <namespace>` when
 * configured. The first failure stops the run: a NetCommandError naming the command.
 */
import type { Cmd, Step } from './planner.ts';
import { inParallel, runBatch, runOk } from './run.ts';

const WIDTH = 8;

export interface ExecuteOptions {
  /** The board's own namespace (config.net.namespace); undefined: the agent's. */
  boardNs: string | undefined;
}

export async function execute(steps: readonly Step[], opts: ExecuteOptions): Promise<void> {
  const cmds = steps.flatMap((s) => s.cmds);
  const phases = [...new Set(cmds.map((c) => c.phase))].sort((a, b) => a - b);
  for (const phase of phases) {
    const groups = new Map<string, Cmd[]>();
    for (const c of cmds) {
      if (c.phase !== phase) continue;
      const key = c.tool === 'exec' ? `exec:${groups.size}` : `${c.tool}:${c.ns === undefined ? '' : c.ns === null ? '@board' : c.ns}`;
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    await inParallel([...groups.values()], WIDTH, async (group) => {
      const first = group[0]!;
      if (first.tool === 'exec') {
        const [file, ...args] = first.line.split(' ');
        await runOk(file!, args);
        return;
      }
      const ns = first.ns === null ? opts.boardNs : first.ns;
      await runBatch(first.tool, ns, group.map((c) => c.line));
    });
  }
}
