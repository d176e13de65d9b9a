/**
 * The board agent: connects to the desk broker with a last will, announces itself with a
 * retained status, samples power into energy, publishes telemetry, answers commands and
 * drives the status LED. One instance per board and no shared state, so a process can host
 * many simulated boards.
 */
import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import { boardClientId, boardTopic, type BoardChannel } from '../broker/contract/topics.ts';
import { decode, encode, type BoardPayloads } from '../broker/contract/messages.ts';
import { PAYLOAD_VERSION, type BoardEvent, type BootPhase, type OnlineStatus } from '../broker/contract/payloads.ts';
import { guestEventBatches, onlineStatus, telemetrySample } from './board-messages.ts';
import type { BoardConfig } from './config/board-config.ts';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/log.ts';
import type { Scheduler } from './runtime/scheduler.ts';
import type { BoardHardware } from './hardware.ts';
import { createTelemetrySampler, type TelemetrySampler } from './telemetry/sampler.ts';
import { errorReply, handleCommand, salvageId } from './commands.ts';
import { createLed, type Led } from './led.ts';
import { attachConsole, type BoardConsole } from './console.ts';
import { openGuestService, type GuestService } from './guests/service.ts';
import type { GuestEvent } from './guests/supervisor.ts';
import { openImageService, type ImageService } from './images/service.ts';
import { CommandError } from './ops/command-error.ts';
import type { BootInfo } from './flash/boot-info.ts';
import type { ScheduledJob } from './runtime/scheduler.ts';
import { createTrialBoot } from './flash/trial-boot.ts';
import { createPushCommands } from './push/commands.ts';
import { createExecCommand } from './exec/exec-command.ts';
import { listenForFlash } from './flash/flash-listener.ts';
import type { FlashReceiver } from '../images/serial/receiver.ts';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const HARDWARE_GRACE_MS = 2000;
/** A `reboot` command's reset waits this long after its reply. */
const REBOOT_AFTER_MS = 200;

export interface AgentDeps {
  config: BoardConfig;
  password: string;
  version: string;
  /** When the board got power (from the boot program or the desk) and when this agent began. */
  boot: { powerOnAt?: number; agentStartAt: number };
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
  let client: MqttClient | undefined;
  let hw: BoardHardware | undefined;
  let sampler: TelemetrySampler | undefined;
  let led: Led | undefined;
  let boardConsole: BoardConsole | undefined;
  let flash: FlashReceiver | undefined;
  let telemetryJob: ScheduledJob | undefined;
  /** Telemetry takes its own reading so the energy it reports is never a tick behind. */
  const scheduleTelemetry = (seconds: number) => {
    telemetryJob?.stop();
    telemetryJob = scheduler.every('telemetry', seconds, async () => {
      await sampler!.sample();
      publishTelemetry();
    });
  };
  let guests: GuestService | undefined;
  let images: ImageService | undefined;
  const push = createPushCommands({ config: config.push, clock, logger: logger.child('push') });
  const exec = createExecCommand({ desk: config.desk, board: config.board, logger: logger.child('exec'),
    ...(config.guests ? { guests: async () => (await serviceReady(() => guests, 'guests')).shell } : {}) });
  let seq = 0;
  const bootedAt = deps.boot.powerOnAt ?? deps.boot.agentStartAt;

  const publish = <K extends BoardChannel>(channel: K, value: BoardPayloads[K], retain = false) => {
    client?.publish(topic(channel), encode(channel, value), { qos: 1, retain }, (err) => {
      if (err) logger.warn('publish failed', { channel, error: err.message });
    });
  };

  /** Every event carries the same envelope; callers give what happened. */
  const event = (body: DistributiveOmit<BoardEvent, 'v' | 'board' | 'at'>, at = clock.now()) => {
    publish('events', { v: PAYLOAD_VERSION, board: config.board, at, ...body } as BoardEvent);
  };

  const sayPhase = (p: BootPhase) => boardConsole?.say(`deskbox: ${p.phase} at ${new Date(p.at).toISOString()}`);

  const phase = (name: BootPhase['phase'], at = clock.now()) => {
    phases.push({ phase: name, at });
    sayPhase({ phase: name, at });
    event({ type: 'boot-phase', phase: name }, at);
  };

  const status = (): OnlineStatus => onlineStatus({
    board: config.board, version: deps.version, bootedAt, now: clock.now(), keepaliveS: config.keepaliveS, phases, tags: config.tags,
    hardware: hw?.describe(), guestRuntime: guests?.runtime, bootInfo: deps.bootInfo,
  });

  const publishTelemetry = () => {
    if (!sampler?.last) return;
    publish('telemetry', telemetrySample({
      board: config.board, now: clock.now(), seq: seq++, bootedAt, reading: sampler.last, energyJ: sampler.energyJ,
      load: sampler.load(), guests: guests ? guests.summary() : { running: 0, failed: 0 },
    }), true);
  };

  const publishGuestEvents = (events: GuestEvent[]) => guestEventBatches(events).forEach((body) => event(body));

  // Settles once start() has tried to open the image store and the guests (each may fail alone).
  let servicesTried!: () => void;
  const servicesOpened = new Promise<void>((resolve) => (servicesTried = resolve));
  const serviceReady = async <T>(get: () => T | undefined, what: string): Promise<T> => {
    await servicesOpened;
    const service = get();
    if (!service) throw new CommandError('failed', `the ${what} did not open on this board (see its log)`);
    return service;
  };

  const openServices = async () => {
    if (config.images) {
      // Guests run from the store, so it opens first; carried images are in it before any guest starts.
      images = await openImageService({
        config: config.images, boot: deps.bootInfo, logger: logger.child('images'), now: () => clock.now(),
        rootfsInUse: () => guests?.rootfsInUse() ?? new Set(),
        onChange: (change) => event({ type: 'images', ...change }),
      }).catch((err: Error) => { logger.error('image store unavailable', { error: err.message }); return undefined; });
    }
    if (config.guests) {
      guests = await openGuestService({
        config: config.guests, desk: config.desk, board: config.board, clock, logger: logger.child('guests'),
        resolveImage: (name) => images?.resolve(name),
        onEvents: publishGuestEvents,
      });
      scheduler.every('guests', 1, () => guests!.tick());
    }
  };

  const trial = createTrialBoot({
    flash: config.flash, bootInfo: deps.bootInfo, reboot: deps.reboot, clock, logger,
    say: (text) => boardConsole?.say(text),
  });

  const onCommand = async (payload: Buffer) => {
    const decoded = decode('cmd', payload);
    if (!decoded.ok) {
      logger.warn('malformed command dropped', { topic: topic('cmd'), reason: decoded.reason });
      event({ type: 'payload-rejected', topic: topic('cmd'), reason: decoded.reason });
      publish('reply', errorReply(salvageId(payload), 'bad-request', decoded.reason));
      return;
    }
    const reply = await handleCommand(decoded.value, {
      info: () => ({ ...status(), telemetryPeriodS: config.telemetryPeriodS, pid: process.pid }),
      // A request that arrives while the board is still opening its stores waits for them.
      ...(config.guests ? { guests: async (op: string, args: unknown) => (await serviceReady(() => guests, 'guests')).handle(op, args) } : {}),
      ...(config.images ? { images: async (op: string, args: unknown) => (await serviceReady(() => images, 'image store')).handle(op, args) } : {}),
      push: (op: string, args: unknown) => push.handle(op, args),
      exec: (args: unknown) => exec.handle(args),
      ...(telemetryJob ? { setTelemetryPeriod: scheduleTelemetry } : {}),
      // The delay lets this command's reply leave before the agent stops.
      ...(deps.reboot ? { reboot: () => void clock.setTimeout(() => deps.reboot!(), REBOOT_AFTER_MS) } : {}),
      setLed: async (mode) => { if (!led) throw new Error('hardware not ready'); await led.setMode(mode); },
      now: () => clock.now(),
    });
    publish('reply', reply);
    // Guest counts just changed: watchers should not wait a telemetry period to see it.
    if (reply.ok && decoded.value.op.startsWith('guests.')) publishTelemetry();
    if (!reply.ok) {
      event({ type: 'command-failed', op: decoded.value.op.slice(0, 64), code: reply.error.code, message: reply.error.message.slice(0, 500) });
    }
  };

  const connect = () => new Promise<void>((resolve) => {
    const offline: BoardPayloads['status'] = { v: PAYLOAD_VERSION, state: 'offline', board: config.board, reason: 'lastwill' };
    client = mqtt.connect(config.broker.url, {
      clientId: boardClientId(config.desk, config.board),
      username: config.broker.username,
      password: deps.password,
      // A desk broker's own CA for mqtts://; read here, once, as mqtt.js keeps it for reconnects.
      ...(config.broker.caFile ? { ca: readFileSync(config.broker.caFile) } : {}),
      protocolVersion: 4,
      // A persistent session keeps commands sent while the board was briefly away.
      clean: false,
      keepalive: config.keepaliveS,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      will: { topic: topic('status'), payload: Buffer.from(encode('status', offline)), qos: 1, retain: true },
    });
    client.on('connect', () => {
      if (!phases.some((p) => p.phase === 'broker-connected')) phase('broker-connected');
      client!.subscribe(topic('cmd'), { qos: 1 });
      publish('status', status(), true);
      logger.info('connected', { broker: config.broker.url });
      resolve();
    });
    client.on('message', (t, payload) => {
      if (t === topic('cmd')) void onCommand(payload);
    });
    client.on('error', (err) => logger.warn('mqtt error', { error: err.message }));
    client.on('offline', () => logger.warn('broker unreachable, retrying'));
  });

  const openHardware = async () => {
    hw = await deps.openHardware();
    sampler = createTelemetrySampler(hw.power, clock);
    led = createLed(hw.gpio);
    await led.setMode('heartbeat');
    if (hw.console) {
      boardConsole = attachConsole(hw.console, {
        help: () => 'commands: status, version, help',
        version: () => deps.version,
        status: () => JSON.stringify(status()),
      }, (err) => logger.warn('console write failed', { error: err.message }), () => flash?.active ?? false);
      boardConsole.say(`deskbox agent ${deps.version} on ${config.board} (desk ${config.desk})`);
      if (config.flash && config.images && deps.bootInfo && deps.reboot) {
        flash = listenForFlash({
          link: hw.console, flashDir: config.flash.dir, bootInfo: deps.bootInfo, trustedKeys: config.images.trustedKeys, boardType: config.images.boardType,
          clock, logger: logger.child('flash'), reboot: deps.reboot,
          onSession: (e) => event({ type: 'flash', ...e }),
        });
      }
      phases.forEach(sayPhase);
    }
    await sampler.sample();
  };

  return {
    async start() {
      if (deps.boot.powerOnAt !== undefined) phases.push({ phase: 'power-on', at: deps.boot.powerOnAt });
      phases.push({ phase: 'agent-start', at: deps.boot.agentStartAt });
      // Native bindings block the event loop while they load (~100 ms for serialport), so the
      // hardware opens once the board is seen online, or after a grace period without a broker.
      await trial.watch();
      const connected = connect();
      await Promise.race([connected, new Promise<void>((r) => clock.setTimeout(r, HARDWARE_GRACE_MS))]);
      await openHardware();
      await connected;
      scheduler.every('sample', config.samplePeriodS, async () => { await sampler!.sample(); });
      scheduleTelemetry(config.telemetryPeriodS);
      scheduler.every('heartbeat', 1, () => led!.tick());
      await openServices().finally(servicesTried);
      phase('ready');
      await trial.confirm();
      publish('status', status(), true);
      publishTelemetry();
    },
    async stop() {
      trial.stop();
      scheduler.stopAll();
      exec.close();
      await guests?.close().catch((err: Error) => logger.error('stopping guests failed', { error: err.message }));
      if (client) {
        publish('status', { v: PAYLOAD_VERSION, state: 'offline', board: config.board, reason: 'shutdown', at: clock.now() }, true);
        await client.endAsync();
      }
      await push.close().catch((err: Error) => logger.error('stopping the push server failed', { error: err.message }));
      flash?.close();
      boardConsole?.close();
      await led?.setMode('off').catch(() => undefined);
      await hw?.close();
      logger.info('stopped');
    },
  };
}
