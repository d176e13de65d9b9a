/**
 * One synthetic board: what a board agent publishes, built with the agent's own code (status,
 * telemetry and guests-event builders, its command dispatch), at the agent's cadence (board/agent.ts,
 * board/telemetry/feature.ts, board/guests/feature.ts):
 * - on connect: `broker-connected` and `ready` boot-phase events, the retained status before and
 *   after `ready`, a first telemetry sample;
 * - retained telemetry every period (`telemetry.period` changes it) and after each answered
 *   guests command, with the guest counts and boot-time percentiles;
 * - guest happenings batched once a second, 250 to a message.
 * Guests "boot" one after another at `launchPerS` (a board's launcher at its measured rate);
 * nothing runs, so a desk of 125,440 guests fits on one machine.
 */
import type { BoardPayloads } from '../../broker/contract/messages.ts';
import type { Command, Telemetry } from '../../broker/contract/payloads.ts';
import type { JsonChannel } from '../../broker/contract/topics.ts';
import { handleCommand } from '../../board/commands.ts';
import type { Handlers } from '../../board/ops/feature.ts';
import { guestEventBatches } from '../../board/guests/events.ts';
import type { GuestEvent } from '../../board/guests/supervisor.ts';
import { bootStats } from '../../board/guests/summary.ts';
import { onlineStatus } from '../../board/status.ts';
import { telemetrySample } from '../../board/telemetry/sample.ts';
import { PAYLOAD_VERSION, type BootPhase } from '../../broker/contract/payloads.ts';

export interface SyntheticBoardOptions {
  board: string;
  periodS: number;
  /** Guests this board boots a second, one after another. */
  launchPerS: number;
  /** The boot time a guest reports (launch decision to ready), ms; spread +-20% by guest. */
  bootMs: number;
  now(): number;
  publish<K extends JsonChannel>(channel: K, value: BoardPayloads[K], retain: boolean): void;
}

export interface SyntheticBoard {
  online(): void;
  command(cmd: Command): void;
  /** Timers off: nothing more is published. */
  stop(): void;
}

interface Launch { want: number; from: number; startedAt: number; answer(): void }

// A power model only so the report's energy figures have something to integrate: idle like a
// simulated board, more while launching, a little per guest. Not a measurement.
const IDLE_W = 1.0;
const LAUNCH_W = 0.6;
const GUEST_W = 0.002;
// `memBytes` is the agent process's own memory (guests are other processes): BENCHMARKS "Board agent start-up".
const AGENT_BYTES = 26_000_000;

export function syntheticBoard(o: SyntheticBoardOptions): SyntheticBoard {
  const bootedAt = o.now();
  const phases: BootPhase[] = [{ phase: 'power-on', at: bootedAt }, { phase: 'agent-start', at: bootedAt }];
  const bootTimes: number[] = [];
  let pending: GuestEvent[] = [];
  let launch: Launch | undefined;
  let seq = 0, energyJ = 0, lastAt = bootedAt;
  let telemetryTimer: NodeJS.Timeout | undefined;
  let tickTimer: NodeJS.Timeout | undefined;

  const status = () => onlineStatus({ board: o.board, version: 'synthetic', bootedAt, now: o.now(), keepaliveS: 10, phases, tags: [], guestRuntime: 'crun' });
  const phase = (name: BootPhase['phase']) => {
    const at = o.now();
    phases.push({ phase: name, at });
    o.publish('events', { v: PAYLOAD_VERSION, board: o.board, at, type: 'boot-phase', phase: name }, false);
  };
  const guests = (): Telemetry['guests'] => {
    const running = bootTimes.length;
    const bootMs = bootStats(bootTimes);
    return { runtime: 'crun', running, ready: running, failed: 0, ...(bootMs ? { bootMs } : {}) };
  };
  const telemetry = () => {
    const now = o.now();
    const watts = IDLE_W + GUEST_W * bootTimes.length + (launch ? LAUNCH_W : 0);
    energyJ += (watts * (now - lastAt)) / 1000;
    lastAt = now;
    o.publish('telemetry', telemetrySample({
      board: o.board, now, seq: seq++, bootedAt, reading: { watts, volts: 5, amps: watts / 5 }, energyJ,
      load: { cpu: launch ? 0.9 : 0.02, memBytes: AGENT_BYTES }, guests: guests(),
    }), true);
  };
  const schedule = (seconds: number) => {
    clearInterval(telemetryTimer);
    telemetryTimer = setInterval(telemetry, seconds * 1000);
  };
  // The agent's 1 s guests tick: boots due by now become events, published in batches.
  const tick = () => {
    if (launch) {
      const due = Math.min(launch.want, Math.floor(((o.now() - launch.startedAt) / 1000) * o.launchPerS));
      for (let n = bootTimes.length - launch.from; n < due; n++) {
        const bootMs = Math.round(o.bootMs * (0.8 + 0.4 * ((bootTimes.length * 7919) % 101) / 100) * 10) / 10;
        pending.push({ type: 'booted', id: `${o.board}-g${String(bootTimes.length).padStart(4, '0')}`, bootMs });
        bootTimes.push(bootMs);
      }
    }
    const at = o.now();
    for (const body of guestEventBatches(pending)) o.publish('events', { v: PAYLOAD_VERSION, board: o.board, at, ...body }, false);
    pending = [];
    if (launch && bootTimes.length - launch.from >= launch.want) launch.answer();
  };

  const handlers: Handlers = {
    'telemetry.period': ({ seconds }) => { schedule(seconds); return { seconds }; },
    'guests.start': ({ count }) => new Promise((resolve) => {
      const startedAt = o.now();
      launch = {
        want: count, from: bootTimes.length, startedAt,
        answer: () => {
          launch = undefined;
          resolve({ requested: count, ready: count, failed: [], timedOut: false, elapsedMs: o.now() - startedAt, bootMs: bootStats(bootTimes.slice(-count)) ?? null, board: guests() });
        },
      };
    }),
    'guests.stop': () => {
      const stopped = bootTimes.length;
      bootTimes.length = 0;
      return { stopped, board: guests() };
    },
  };

  return {
    online() {
      phase('broker-connected');
      o.publish('status', status(), true);
      phase('ready');
      o.publish('status', status(), true);
      telemetry();
      schedule(o.periodS);
      tickTimer = setInterval(tick, 1000);
    },
    command(cmd) {
      void handleCommand(cmd, { handlers, now: o.now }).then((reply) => {
        o.publish('reply', reply, false);
        // As the agent does (guests' `changed`): a fresh sample once a guests command is answered.
        if (reply.ok && cmd.op.startsWith('guests.')) telemetry();
      });
    },
    stop() {
      clearInterval(telemetryTimer);
      clearInterval(tickTimer);
    },
  };
}
