/**
 * The topic tree, written once. Board, broker and host build and parse topics only through
 * these functions, so the layout documented in docs/mqtt.md is the layout on the wire.
 *
 *   deskbox/<desk>/boards/<board>/status      retained state with detail (last will sets offline)
 *   deskbox/<desk>/boards/<board>/availability retained plain `online`/`offline`, kept by the broker from status
 *   deskbox/<desk>/boards/<board>/telemetry   retained latest sample: power, energy, load
 *   deskbox/<desk>/boards/<board>/events      boot phases and other happenings
 *   deskbox/<desk>/boards/<board>/health      retained latest self-check report
 *   deskbox/<desk>/boards/<board>/cmd         requests to the board  {v, id, op, args}
 *   deskbox/<desk>/boards/<board>/press       a button pressed: a plain op word, made a command by the broker
 *   deskbox/<desk>/boards/<board>/reply       the board's answers     {v, id, ok, ...}
 */
export const ROOT = 'deskbox';
/** Home Assistant's MQTT discovery prefix: HA's default, fixed so the broker's policy stays a table. */
export const DISCOVERY_ROOT = 'homeassistant';
/** Where the broker serves MQTT over WebSocket (the dashboard's and browsers' way in). */
export const WS_PATH = '/mqtt';

export const BOARD_CHANNELS = ['status', 'availability', 'telemetry', 'events', 'health', 'cmd', 'reply', 'press'] as const;
export type BoardChannel = (typeof BOARD_CHANNELS)[number];
/** The channels whose payloads are JSON documents of the contract (messages.ts); availability and press are plain words. */
export type JsonChannel = Exclude<BoardChannel, 'availability' | 'press'>;

/** Desk and board ids are single topic levels: no wildcards, separators or control bytes. */
const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export function isValidId(id: string): boolean {
  return ID.test(id);
}

export function assertId(kind: 'desk' | 'board', id: string): void {
  if (!isValidId(id)) throw new Error(`invalid ${kind} id "${id}": use 1-63 of A-Z a-z 0-9 _ . - (starting alphanumeric)`);
}

export function boardTopic(desk: string, board: string, channel: BoardChannel): string {
  return `${ROOT}/${desk}/boards/${board}/${channel}`;
}

/** The subtree a board owns; its credentials reach nothing outside it. */
export function boardPrefix(desk: string, board: string): string {
  return `${ROOT}/${desk}/boards/${board}`;
}

/** Filter for one channel of every board of a desk (`+` for any desk). */
export function allBoardsFilter(desk: string, channel: BoardChannel): string {
  return `${ROOT}/${desk}/boards/+/${channel}`;
}

export interface ParsedBoardTopic {
  desk: string;
  board: string;
  channel: BoardChannel;
}

export function parseBoardTopic(topic: string): ParsedBoardTopic | undefined {
  const parts = topic.split('/');
  if (parts.length !== 5 || parts[0] !== ROOT || parts[2] !== 'boards') return undefined;
  const [, desk, , board, channel] = parts as [string, string, string, string, string];
  if (!isValidId(desk) || !isValidId(board)) return undefined;
  if (!(BOARD_CHANNELS as readonly string[]).includes(channel)) return undefined;
  return { desk, board, channel: channel as BoardChannel };
}

/**
 * The MQTT client id a board connects with. It is reserved to that board's user: the broker
 * refuses it to anyone else, so nobody can take over a board's session and its queued commands.
 */
export function boardClientId(desk: string, board: string): string {
  return `${ROOT}-${desk}-${board}`;
}

/** Broker statistics, in the `$SYS` convention, readable by the host and monitor roles. */
export const SYS_PREFIX = '$SYS/deskbox';
