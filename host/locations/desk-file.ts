/**
 * desk.json (what the desk is: written by `desk up`) and run.json (where it runs: written by
 * the supervisor once its broker listens, removed when it stops).
 */
import { readdirSync } from 'node:fs';
import * as v from 'valibot';
import { isValidId } from '../../broker/contract/topics.ts';
import { describeIssues } from '../../broker/contract/messages.ts';
import type { DeskLayout } from './layout.ts';
import { readJsonIfExists, writeJsonAtomic } from './json-files.ts';
import { readProcStat } from '../../platform/proc-stat.ts';
import type { BrokerPorts } from './broker-urls.ts';
import type { DeskLan } from './desk-lan-info.ts';

const id = v.pipe(v.string(), v.check(isValidId, 'not a valid id'));
const port = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65535));

export const DeskFileSchema = v.object({
  v: v.literal(1),
  desk: id,
  boards: v.pipe(v.array(id), v.minLength(1)),
  /** Which of `boards` are QEMU boards (docs/qemu-board.md); the others are simulated. */
  qemuBoards: v.optional(v.array(id), []),
  boardsPerProcess: v.pipe(v.number(), v.integer(), v.minValue(1)),
  keepaliveS: v.pipe(v.number(), v.integer(), v.minValue(1)),
  telemetryPeriodS: v.pipe(v.number(), v.integer(), v.minValue(1)),
  restartDelayS: v.pipe(v.number(), v.minValue(0)),
  /** The ports asked for (0: any free one; the broker's own choice is in broker/ports.json). */
  broker: v.object({
    host: v.string(),
    /** Plain MQTT and WebSocket: on loopback always, beyond it only with `plain`. */
    port,
    wsPort: v.nullable(port),
    tlsPort: v.optional(port, 0),
    wssPort: v.optional(v.nullable(port), 0),
    plain: v.optional(v.boolean(), false),
  }),
  guests: v.object({
    runtime: v.picklist(['auto', 'crun', 'process']),
    maxPerBoard: v.pipe(v.number(), v.integer(), v.minValue(0)),
  }),
  /** Each board's serial console as the link emulator sets it (8N1). */
  console: v.optional(v.object({
    baud: v.pipe(v.number(), v.integer(), v.minValue(300)),
    latencyMs: v.pipe(v.number(), v.minValue(0)),
  }), { baud: 115200, latencyMs: 16 }),
  /** The web dashboard the supervisor serves (0: any free port; null: none). */
  dashboardPort: v.optional(v.nullable(port), 0),
  /** Publish Home Assistant discovery for the boards (docs/metrics.md). */
  homeAssistant: v.optional(v.boolean(), false),
  /** Tags of each board (a board with none may be absent). */
  tags: v.optional(v.record(id, v.array(id)), {}),
  /**
   * Broker nodes: 1, the desk's one broker on its SQLite store; more, a cluster of that many
   * sharing a redis-server the supervisor starts (docs/architecture.md).
   */
  brokerNodes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 1),
  /** U-Boot's autoboot countdown at each power-on. */
  bootDelayMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 1000),
  /**
   * The desk's health service (host/health/): the boards' self-check schedule (node-cron; the
   * boards' default when absent) and the thresholds of its policy (evidence.ts defaults).
   */
  health: v.optional(v.object({
    schedule: v.optional(v.string()),
    thresholds: v.optional(v.partial(v.object({
      failedChecks: v.number(), agentRestarts: v.number(), failedTrialBoots: v.number(), silentMs: v.number(), guestFailureRate: v.number(),
      guestLaunchesToJudge: v.number(), windowMs: v.number(), passesToAdmit: v.number(), recoveriesToRetire: v.number(),
    }))),
    /** How long a board may take to come back after a recovery step. */
    onlineTimeoutMs: v.optional(v.pipe(v.number(), v.minValue(1000)), 180_000),
  }), {}),
});
export type DeskFile = v.InferOutput<typeof DeskFileSchema>;

export interface RunFile extends BrokerPorts {
  v: 1;
  pid: number;
  startedAt: number;
  /** The address the broker listens on. */
  host: string;
  /** The supervisor's web dashboard (and its /metrics), when it serves one. */
  dashboardUrl?: string;
  /** Set when the desk's last ports were taken and its broker moved to new ones. */
  portsNote?: string;
  /** The desk LAN its boards' guest networks cross, or why there is none. */
  lan?: DeskLan;
  /** A cluster (brokerNodes > 1): every node's ports, the first being the ones above. */
  nodes?: BrokerPorts[];
  /** A cluster: the redis-server its nodes share. */
  redis?: { url: string };
}

export class DeskStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeskStateError';
  }
}

export async function readDeskFile(layout: DeskLayout): Promise<DeskFile> {
  const json = await readJsonIfExists<unknown>(layout.deskFile);
  if (json === undefined) throw new DeskStateError(`no desk in ${layout.root} (deskbox desk up creates one)`);
  const parsed = v.safeParse(DeskFileSchema, json);
  if (!parsed.success) throw new DeskStateError(`${layout.deskFile}: ${describeIssues(parsed.issues)}`);
  return parsed.output;
}

export const writeDeskFile = (layout: DeskLayout, desk: DeskFile) => writeJsonAtomic(layout.deskFile, desk);

/** Whether a process runs; a zombie (dead, not yet reaped by a parent) counts as gone. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // Unreadable right after a successful kill(0): it exited just now, or /proc is elsewhere.
  return readProcStat(pid)?.state !== 'Z';
}

/** Live (non-zombie) processes in process group `pgid`, read from /proc. */
export function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry)); // undefined: it exited while we looked
    if (stat?.pgrp === pgid && stat.state !== 'Z') members.push(Number(entry));
  }
  return members;
}

/** The run file as written, whether or not its supervisor still lives. */
export const readRunFile = (layout: DeskLayout) => readJsonIfExists<RunFile>(layout.runFile);

/** The run file of a supervisor that is still alive; a stale one (crashed desk) reads as none. */
export async function readLiveRunFile(layout: DeskLayout): Promise<RunFile | undefined> {
  const run = await readRunFile(layout);
  return run && isAlive(run.pid) ? run : undefined;
}
