/**
 * A plan's guest networks: its topology applied before the run (every problem refused before
 * any board changes), and a probe at the end of each hold whose figures go to the bundle's
 * net-probe.json for the report's "Guest networks" section.
 */
import { dirname, resolve } from 'node:path';
import { writeFileAtomic } from '../../platform/atomic-file.ts';
import type { Requester } from '../client/request.ts';
import type { DeskBoards } from '../net/carriers.ts';
import { applyTopology, listing, readNetStates } from '../net/desk-net.ts';
import { probeNetworks, type NetProbeRecord } from '../net/probe.ts';
import { loadTopology } from '../net/topology.ts';
import type { Plan } from './plan.ts';

export async function setUpPlanNetworks(o: { plan: Plan; planFile: string; request: Requester; desk: () => Promise<DeskBoards>; boards: string[]; probeFile: string }): Promise<((repetition: number) => Promise<void>) | undefined> {
  if (!o.plan.topology) return undefined;
  const loaded = await loadTopology(resolve(dirname(o.planFile), o.plan.topology));
  const applied = await applyTopology(o.request, await o.desk(), loaded);
  const failed = applied.filter((a) => !a.ok);
  if (failed.length > 0) throw new Error(`topology ${loaded.topology.name}: ${failed.map((a) => `${a.board}: ${'error' in a ? a.error : ''}`).join('; ')}`);
  const record: NetProbeRecord = { topology: loaded.topology.name, probes: [] };
  return async (repetition) => {
    const list = listing(await readNetStates(o.request, o.boards));
    const result = await probeNetworks(o.request, list, { count: 3, timeoutMs: 1000, peers: 8 });
    record.probes.push({ repetition, at: Date.now(), ...result });
    await writeFileAtomic(o.probeFile, JSON.stringify(record, null, 2) + '\n');
  };
}
