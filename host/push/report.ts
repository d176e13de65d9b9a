/**
 * What `deskbox push` tells its user: a progress bar on stderr while boards settle, then one
 * result (JSON, or a summary with one line per failed board).
 */
import cliProgress from 'cli-progress';
import type { PushManifest } from '../../broker/contract/commands/push.ts';
import type { BoardOutcome } from './execute.ts';

export interface PushReport {
  ok: boolean;
  file: string;
  dest: string;
  id: string;
  size: number;
  sha256: string;
  fanout: number;
  depth: number;
  boards: number;
  failed: number;
  /** What the host's server sent: about `fanout` times the file when the tree works. */
  hostBytes: number;
  /** What the boards fetched in all, from the host and from each other. */
  fetchedBytes: number;
  elapsedMs: number;
  results: {
    board: string; parent: string | null; depth: number; ok: boolean;
    fetched?: number; resumedBytes?: number; elapsedMs?: number; servedBytes?: number;
    failedSources?: { url: string; error: string }[]; error?: string;
  }[];
}

const size = (n: number) => (n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1 << 20)).toFixed(1)} MiB`);

export function pushReport(run: { file: string; dest: string; manifest: PushManifest; fanout: number; hostBytes: number; elapsedMs: number },
  outcomes: readonly BoardOutcome[], served: ReadonlyMap<string, number>): PushReport {
  const failed = outcomes.filter((o) => !o.ok).length;
  return {
    ok: failed === 0, file: run.file, dest: run.dest, id: run.manifest.id, size: run.manifest.size, sha256: run.manifest.sha256,
    fanout: run.fanout, depth: Math.max(0, ...outcomes.map((o) => o.depth)), boards: outcomes.length, failed,
    hostBytes: run.hostBytes, fetchedBytes: outcomes.reduce((n, o) => n + (o.ok ? o.result.fetched : 0), 0), elapsedMs: run.elapsedMs,
    results: outcomes.map((o) => ({
      board: o.board, parent: o.parent, depth: o.depth, ok: o.ok,
      ...(o.ok
        ? { fetched: o.result.fetched, resumedBytes: o.result.resumedBytes, elapsedMs: o.result.elapsedMs, servedBytes: served.get(o.board) ?? 0, failedSources: o.result.failedSources }
        : { error: o.error }),
    })),
  };
}

export function reportText(r: PushReport): string {
  const lines = [
    `pushed ${r.file} (${size(r.size)}, sha256 ${r.sha256.slice(0, 12)}) to ${r.boards - r.failed} of ${r.boards} boards in ${(r.elapsedMs / 1000).toFixed(1)} s`,
    `  tree: fan-out ${r.fanout}, depth ${r.depth}; the host sent ${size(r.hostBytes)} (${(r.hostBytes / Math.max(1, r.size)).toFixed(1)}x the file), boards fetched ${size(r.fetchedBytes)}`,
    ...r.results.filter((b) => b.ok && b.failedSources?.length).map((b) => `  ${b.board}: fell back after ${b.failedSources!.map((f) => f.error).join('; ')}`),
    ...r.results.filter((b) => !b.ok).map((b) => `${b.board}: FAILED ${b.error}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** Boards settled out of total, what reached them and what the host sent; nothing unless stderr is a terminal. */
export function pushProgress(total: number, enabled: boolean, hostBytes: () => number) {
  if (!enabled) return { settled: (_o: BoardOutcome) => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar({
    format: 'push |{bar}| {value}/{total} boards | {delivered} delivered | host sent {host} | {failed} failed',
    hideCursor: true, stream: process.stderr,
  }, cliProgress.Presets.shades_classic);
  let delivered = 0;
  let failed = 0;
  const values = () => ({ delivered: size(delivered), host: size(hostBytes()), failed });
  bar.start(total, 0, values());
  // The host's count moves between settlements; the bar shows it without waiting for one.
  const tick = setInterval(() => bar.update(values()), 500);
  return {
    settled(o: BoardOutcome) {
      if (o.ok) delivered += o.result.bytes;
      else failed += 1;
      bar.increment(1, values());
    },
    stop() {
      clearInterval(tick);
      bar.stop();
    },
  };
}
