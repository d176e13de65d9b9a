/**
 * The synthetic desk in a process of its own (bench/lib/child.ts), as boards are machines of
 * their own: its publishing must not share an event loop or a CPU account with the host side
 * it drives. Answers `start` (the desk's options), `quiesce` and `close`; each answer carries
 * the process's CPU and event-loop delay so the caller can tell the publisher kept up.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { serveParent } from './child.ts';
import { startSyntheticDesk, type SyntheticDesk, type SyntheticDeskOptions } from './synthetic-desk.ts';

function serve(): void {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let desk: SyntheticDesk | undefined;

  const health = () => ({
    cpuS: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
    rssMB: process.memoryUsage().rss / 2 ** 20,
    loopDelayP99Ms: loop.percentile(99) / 1e6,
    loopDelayMaxMs: loop.max / 1e6,
  });

  serveParent(async (msg) => {
    if (msg.op === 'start') {
      const started = Date.now();
      desk = await startSyntheticDesk(msg.options as SyntheticDeskOptions);
      loop.reset();
      return { connectMs: Date.now() - started, counts: desk.counts(), ...health() };
    }
    if (msg.op === 'quiesce') return { counts: await desk!.quiesce(Number(msg.timeoutMs)), ...health() };
    throw new Error(`unknown op ${String(msg.op)}`);
  }, async () => { await desk?.close(); });
}

serve();
