/**
 * What the agent is built of (board/agent.ts assembles them): each feature answers some of
 * the catalogue's ops (broker/contract/commands) and takes part in the agent's life through
 * the hooks it needs, called in feature order (stop: in reverse).
 */
import type { CommandOp, CommandResult, ParsedArgs } from '../../broker/contract/commands/index.ts';
import type { BoardPayloads } from '../../broker/contract/messages.ts';
import type { BoardEvent, OnlineStatus } from '../../broker/contract/payloads.ts';
import type { JsonChannel } from '../../broker/contract/topics.ts';
import type { Clock } from '../../platform/clock.ts';
import type { GpioBinding } from '../../platform/hal/gpio.ts';
import type { PowerSensor } from '../../platform/hal/power.ts';
import type { SerialLink } from '../../platform/hal/serial.ts';
import type { Logger } from '../../platform/log.ts';
import type { BoardConfig } from '../config/board-config.ts';
import type { Scheduler } from '../runtime/scheduler.ts';
import type { HealthCheck } from './health-check.ts';

/** Answers one op: its arguments already validated by the catalogue; throws a CommandError to refuse. */
export type Handler<Op extends CommandOp> = (args: ParsedArgs<Op>) => Promise<CommandResult<Op>> | CommandResult<Op>;

/** An op this board cannot answer as configured: the request is refused (`failed`) before its arguments are read. */
export interface Unavailable {
  readonly unavailable: string;
}
export const unavailable = (message: string): Unavailable => ({ unavailable: message });

export type Handlers = { [Op in CommandOp]?: Handler<Op> | Unavailable };

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** An event as a feature tells it; the agent adds the envelope (v, board, at). */
export type EventBody = DistributiveOmit<BoardEvent, 'v' | 'board' | 'at'>;

/** The devices features use; the agent opens and closes them (board/hardware.ts). */
export interface FeatureHardware {
  power: PowerSensor;
  gpio: GpioBinding;
  console?: SerialLink;
}

/** What the agent gives every feature. */
export interface AgentContext {
  config: BoardConfig;
  clock: Clock;
  scheduler: Scheduler;
  logger: Logger;
  publish<K extends JsonChannel>(channel: K, value: BoardPayloads[K], retain?: boolean): void;
  event(body: EventBody, at?: number): void;
  /** A line on the board's serial console; nothing where there is none (yet). */
  say(text: string): void;
  /** The board's status as it would be published now. */
  status(): OnlineStatus;
}

/** Status fields a feature knows (the agent builds the rest). */
export interface StatusPart {
  guestRuntime?: OnlineStatus['guestRuntime'];
}

export interface Feature {
  /** The ops it answers; no two features answer the same op. */
  readonly handlers?: Handlers;
  /** Before the agent connects to the broker (which may be away for long). */
  boot?(): Promise<void> | void;
  /** The hardware is open; the broker may still be connecting. */
  attach?(hw: FeatureHardware): Promise<void> | void;
  /** Connected: schedules and services begin. */
  start?(): Promise<void> | void;
  /** Everything started and the `ready` phase is out; the ready status goes out after every feature's ready(). */
  ready?(): Promise<void> | void;
  /** The ready status is out. */
  online?(): void;
  /** The agent stops: in reverse feature order, before the board says it goes offline. */
  stop?(): Promise<void> | void;
  /** An ok reply to one of its ops has gone out. */
  answered?(op: CommandOp): void;
  status?(): StatusPart;
  /** The self-checks of what it owns (board/health/). */
  healthChecks?(): HealthCheck[];
}
