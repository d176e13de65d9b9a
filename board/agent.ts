/**
 * The board agent: connects to the desk broker with a last will, announces itself with a
 * retained status and its boot phases, and answers commands through one table made from its
 * features (board/ops/feature.ts: telemetry, LED, console, flash, images, net, guests, push, exec,
 * the agent's own ops), which it starts and stops in order. One instance per board and no
 * shared state, so a process can host many simulated boards.
 */
import type { MqttClient } from 'mqtt';
import { boardTopic, type BoardChannel, type JsonChannel } from '../broker/contract/topics.ts';
import { decode, encode, type BoardPayloads } from '../broker/contract/messages.ts';
import { PAYLOAD_VERSION, type BoardEvent, type BootPhase, type OnlineStatus } from '../broker/contract/payloads.ts';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/log.ts';
import type { BoardConfig } from './config/board-config.ts';
import type { BootInfo } from './flash/boot-info.ts';
import type { BoardHardware } from './hardware.ts';
import type { Scheduler } from './runtime/scheduler.ts';
import type { AgentContext, Feature, StatusPart } from './ops/feature.ts';
import { commandTable, errorReply, handleCommand, salvageId } from './commands.ts';
import { openBrokerConnection } from './broker-connection.ts';
import { onlineStatus } from './status.ts';
import { consoleFeature, phaseLine } from './console/feature.ts';
import { flashFeature } from './flash/feature.ts';
import { ledFeature } from './led/feature.ts';
import { telemetryFeature } from './telemetry/feature.ts';
import { imagesFeature } from './images/feature.ts';
import { guestsFeature } from './guests/feature.ts';
import { pushFeature } from './push/feature.ts';
import { execFeature } from './exec/feature.ts';
import { systemFeature } from './system/feature.ts';
import { netFeature } from './net/feature.ts';
import { healthFeature } from './health/feature.ts';

const HARDWARE_GRACE_MS = 2000;

export interface AgentDeps {
  config: BoardConfig;
  password: string;
  version: string;
  /** When the board got power (from the boot program or the desk) and when this agent began. */
  boot: { powerOnAt?: number; early?: BootPhase[]; agentStartAt: number };
  /** What the boot program says it booted (slot, image); absent when the agent was started directly. */
  bootInfo?: BootInfo;
  /** Resets the board (after a flash, or when a trial slot does not come up healthy in time). */
  reboot?(): void;
  openHardware(): Promise<BoardHardware>;
  clock: Clock;
  scheduler: Scheduler;
  logger: Logger;
}

export interface Agent {
  /** Resolves when the board is ready: hardware open, broker connected, first sample taken. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createAgent(deps: AgentDeps): Agent {
  const { config, clock, logger, scheduler } = deps;
  const topic = (channel: BoardChannel) => boardTopic(config.desk, config.board, channel);
  const phases: BootPhase[] = [];
  const bootedAt = deps.boot.powerOnAt ?? deps.boot.agentStartAt;
  let client: MqttClient | undefined;
  let hw: BoardHardware | undefined;

  const publish = <K extends JsonChannel>(channel: K, value: BoardPayloads[K], retain = false) => {
    client?.publish(topic(channel), encode(channel, value), { qos: 1, retain }, (err) => {
      if (err) logger.warn('publish failed', { channel, error: err.message });
    });
  };
  const status = (): OnlineStatus => onlineStatus({
    board: config.board, version: deps.version, bootedAt, now: clock.now(), keepaliveS: config.keepaliveS, phases, tags: config.tags,
    hardware: hw?.describe(), bootInfo: deps.bootInfo, ...features.reduce<StatusPart>((part, f) => ({ ...part, ...f.status?.() }), {}),
  });
  const ctx: AgentContext = {
    config, clock, scheduler, logger, publish, status,
    // Every event carries the same envelope; features give what happened.
    event: (body, at = clock.now()) => publish('events', { v: PAYLOAD_VERSION, board: config.board, at, ...body } as BoardEvent),
    say: (text) => boardConsole.say(text),
  };

  // In start order; they stop in reverse. Images open before guests, which run from the store.
  const boardConsole = consoleFeature(ctx, { version: deps.version, busy: () => flash.flashing() });
  const flash = flashFeature(ctx, deps);
  const telemetry = telemetryFeature(ctx, { bootedAt, guests: () => guests.summary() });
  const images = imagesFeature(ctx, { bootInfo: deps.bootInfo, rootfsInUse: () => guests.rootfsInUse() });
  const guests = guestsFeature(ctx, { resolveImage: (name) => images.resolve(name), changed: () => telemetry.publish(), network: () => net.guestHook, probeImage: () => images.names()[0] });
  // Before guests: the kept part is applied again before guests come back into their namespaces.
  const net = netFeature(ctx, { guests: () => guests.wanted() });
  const features: Feature[] = [
    boardConsole, flash, ledFeature(ctx), telemetry, images, net, guests, pushFeature(ctx), execFeature(ctx, guests), systemFeature(ctx, deps),
  ];
  // Last: its schedule starts once everything it checks has.
  features.push(healthFeature(ctx, { featureChecks: () => features.flatMap((f) => f.healthChecks?.() ?? []) }));
  const commands = commandTable(features);

  const phase = (name: BootPhase['phase'], at = clock.now()) => {
    phases.push({ phase: name, at });
    ctx.say(phaseLine({ phase: name, at }));
    ctx.event({ type: 'boot-phase', phase: name }, at);
  };

  const onCommand = async (payload: Buffer) => {
    const decoded = decode('cmd', payload);
    if (!decoded.ok) {
      logger.warn('malformed command dropped', { topic: topic('cmd'), reason: decoded.reason });
      ctx.event({ type: 'payload-rejected', topic: topic('cmd'), reason: decoded.reason });
      publish('reply', errorReply(salvageId(payload), 'bad-request', decoded.reason));
      return;
    }
    const { op } = decoded.value;
    const reply = await handleCommand(decoded.value, { handlers: commands.handlers, now: () => clock.now() });
    publish('reply', reply);
    if (reply.ok) commands.answered(op);
    else ctx.event({ type: 'command-failed', op: op.slice(0, 64), code: reply.error.code, message: reply.error.message.slice(0, 500) });
  };

  const connect = () => new Promise<void>((resolve) => {
    const offline: BoardPayloads['status'] = { v: PAYLOAD_VERSION, state: 'offline', board: config.board, reason: 'lastwill' };
    client = openBrokerConnection({
      config, password: deps.password, logger,
      will: { topic: topic('status'), payload: Buffer.from(encode('status', offline)) },
      onConnect() {
        if (!phases.some((p) => p.phase === 'broker-connected')) phase('broker-connected');
        client!.subscribe(topic('cmd'), { qos: 1 });
        publish('status', status(), true);
        resolve();
      },
    });
    client.on('message', (t, payload) => {
      if (t === topic('cmd')) void onCommand(payload);
    });
  });

  return {
    async start() {
      if (deps.boot.powerOnAt !== undefined) phases.push({ phase: 'power-on', at: deps.boot.powerOnAt });
      phases.push(...deps.boot.early ?? []);
      phases.push({ phase: 'agent-start', at: deps.boot.agentStartAt });
      for (const f of features) await f.boot?.();
      // Native bindings block the event loop while they load (~100 ms for serialport), so the
      // hardware opens once the board is seen online, or after a grace period without a broker.
      const connected = connect();
      await Promise.race([connected, new Promise<void>((r) => clock.setTimeout(r, HARDWARE_GRACE_MS))]);
      hw = await deps.openHardware();
      for (const f of features) await f.attach?.(hw);
      await connected;
      for (const f of features) await f.start?.();
      phase('ready');
      for (const f of features) await f.ready?.();
      publish('status', status(), true);
      for (const f of features) f.online?.();
    },
    async stop() {
      scheduler.stopAll();
      for (const f of [...features].reverse()) await f.stop?.();
      if (client) {
        publish('status', { v: PAYLOAD_VERSION, state: 'offline', board: config.board, reason: 'shutdown', at: clock.now() }, true);
        // Without a broker the goodbye cannot be sent and mqtt.js would wait for it; the will says offline instead.
        await client.endAsync(!client.connected);
      }
      await hw?.close();
      logger.info('stopped');
    },
  };
}
