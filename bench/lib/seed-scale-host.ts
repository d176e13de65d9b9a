/**
 * The host side of `deskbox run`, assembled from the parts host/cli/experiment-run.ts assembles:
 * a persistent MQTT session as the host user, the desk watch feeding the run's store, the
 * store flushed every second, the runner (host/experiment/runner.ts) with the real requester
 * over MQTT, then the bundle's summary and report. Left out: the progress topic, the power
 * switch (the plan does not reboot), consoles and guest networks.
 */
import mqtt from 'mqtt';
import { mkdir, writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { createRequester } from '../../host/client/request.ts';
import { bundlePaths, type RunRecord } from '../../host/experiment/bundle.ts';
import { watchDesk } from '../../host/experiment/desk-watch.ts';
import { parsePlan } from '../../host/experiment/plan.ts';
import { runPlan, type PhaseProgress, type RunOutcome } from '../../host/experiment/runner.ts';
import { openTelemetryStore, type TelemetryStore } from '../../host/store/telemetry-store.ts';

export interface HostRun {
  store: TelemetryStore;
  paths: ReturnType<typeof bundlePaths>;
  /** Waits until every board is online, then runs the plan; resolves with the runner's outcome. */
  run(planText: string, boards: string[]): Promise<RunOutcome>;
  /** How long each once-a-second flush took, ms. */
  flushMs: number[];
  storeErrors: string[];
  /** Ends the session and closes the store, writing run.json with the outcome; idempotent. */
  close(outcome?: RunOutcome): Promise<void>;
}

const noProgress: PhaseProgress = { start() {}, update() {}, end() {} };
const sleep = (ms: number, signal: AbortSignal) => delay(ms, undefined, { signal }).catch(() => undefined);

export async function openHostRun(o: { url: string; password: string; desk: string; dir: string }): Promise<HostRun> {
  const paths = bundlePaths(o.dir);
  await mkdir(o.dir, { recursive: true });
  const client = await mqtt.connectAsync(o.url, { clientId: 'deskbox-run-seedscale', username: 'host', password: o.password, protocolVersion: 4, clean: false, reconnectPeriod: 1000 });
  const store = openTelemetryStore(paths.store, { desk: o.desk });
  const storeErrors: string[] = [];
  const desk = await watchDesk(client, o.desk, store, (e) => storeErrors.push(e.message));
  const flushMs: number[] = [];
  const flushEverySecond = setInterval(() => {
    const t = performance.now();
    try { store.flush(); } catch (e) { storeErrors.push((e as Error).message); }
    flushMs.push(performance.now() - t);
  }, 1000);
  let record: RunRecord | undefined;
  let closed = false;

  return {
    store, paths, flushMs, storeErrors,
    async run(planText, boards) {
      const plan = parsePlan(planText, 'seedscale.yaml');
      const census = await desk.census(boards, 60_000);
      if (census.offline.length > 0) throw new Error(`${census.offline.length} boards not online: ${census.offline.slice(0, 5).join(',')}...`);
      await writeFile(paths.plan, planText);
      record = { v: 1, runId: 'seedscale', plan: plan.name, desk: o.desk, boards, startedAt: Date.now(), deskbox: 'bench', leftOut: [], images: {} };
      await writeFile(paths.run, JSON.stringify(record, null, 2));
      store.setMeta('plan', plan);
      return runPlan({
        boards, plan, signal: new AbortController().signal, now: Date.now, sleep,
        request: createRequester(client, o.desk),
        waitReady: desk.waitReady, onOffline: desk.onOffline,
        mark: (name, detail) => store.mark(name, Date.now(), detail),
        progress: noProgress,
      });
    },
    async close(outcome) {
      if (closed) return;
      closed = true;
      clearInterval(flushEverySecond);
      try {
        await client.endAsync();
      } finally {
        store.close();
      }
      if (record) await writeFile(paths.run, JSON.stringify({ ...record, endedAt: Date.now(), aborted: outcome?.aborted ?? true, lost: outcome?.lost ?? [], outcome }, null, 2));
    },
  };
}
