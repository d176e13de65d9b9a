/**
 * Who may publish and subscribe where. Pure functions over topic strings, so every
 * role x topic rule is unit-tested without a broker; broker/hooks.ts adapts them to aedes.
 *
 * | role    | publish                                              | subscribe                              |
 * |---------|------------------------------------------------------|----------------------------------------|
 * | board   | its own .../<board>/{status,telemetry,events,reply}  | filters inside deskbox/<desk>/boards/<board> |
 * | host    | anything under deskbox/; homeassistant/.../config;   | anything under deskbox/, homeassistant/, $SYS/deskbox/; |
 * |         | outlet commands cmnd/+/+, +/command/+                | outlet status stat/#, tele/#, +/status/#, +/online |
 * | monitor | nothing                                              | as host                                |
 * | homeassistant | its birth and will, homeassistant/status;      | as host                                |
 * |         | button presses .../<board>/press of `reboot`, `identify` |                                  |
 * | outlet  | anything outside deskbox/, homeassistant/ and $      | filters whose first level is literal and outside those |
 *
 * Outlets are the desk's power relays (Tasmota, Shelly: host/power/): third-party firmware with
 * its own topic trees, so they get everything that is not the desk's, and the host gets just
 * their command and status topics.
 *
 * A press (contract/press.ts) is judged by its payload too: the homeassistant role may press
 * only the words of PRESS_OPS, and nobody retains a press (a retained one would outlive it).
 *
 * Nobody publishes to `$`-topics: those belong to the broker. Under homeassistant/ the host
 * publishes discovery configs only, so it cannot speak for Home Assistant (its `status`).
 *
 * Of `$SYS`, only the desk's statistics (`$SYS/deskbox/...`) are anyone's. aedes publishes its
 * own `$SYS/<broker id>/...` too (every client id as it connects, every subscription as it is
 * made): a `$SYS/#` subscription is allowed, but those topics are never delivered (hooks.ts
 * checks each delivery against these rules).
 */
import { PRESS_OPS, pressOp } from './contract/press.ts';
import { ROOT, boardClientId, boardPrefix, parseBoardTopic, type BoardChannel, DISCOVERY_ROOT, SYS_PREFIX } from './contract/topics.ts';

export type Principal =
  | { readonly role: 'board'; readonly username: string; readonly desk: string; readonly board: string }
  | { readonly role: 'host'; readonly username: string }
  | { readonly role: 'monitor'; readonly username: string }
  /** Home Assistant: reads like the monitor, and publishes its own birth and will (homeassistant/status). */
  | { readonly role: 'homeassistant'; readonly username: string }
  | { readonly role: 'outlet'; readonly username: string };

export type Role = Principal['role'];
export const ROLES: readonly Role[] = ['board', 'host', 'monitor', 'homeassistant', 'outlet'];
/** Where Home Assistant announces itself ("online", and "offline" as its last will). */
export const HA_STATUS_TOPIC = `${DISCOVERY_ROOT}/status`;

export type Decision = { readonly allow: true } | { readonly allow: false; readonly reason: string };

const ALLOW: Decision = { allow: true };
const deny = (reason: string): Decision => ({ allow: false, reason });

const SYS_ROOT = '$SYS';
/** The level under $SYS/ that is the desk's: `deskbox`. */
const SYS_OURS = SYS_PREFIX.split('/')[1]!;
const BOARD_PUBLISHES: readonly BoardChannel[] = ['status', 'telemetry', 'events', 'health', 'reply'];

/** What a publish carries, for the rules that read it; a last will is judged at CONNECT without it. */
export interface PublishedMessage {
  readonly payload: Uint8Array | string;
  readonly retain: boolean;
}

export function authorizePublish(principal: Principal, topic: string, message?: PublishedMessage): Decision {
  const broken = topicProblem(topic) ?? reservedProblem(topic);
  if (broken) return deny(broken);
  const press = parseBoardTopic(topic)?.channel === 'press';
  if (press && message?.retain !== false) return deny(message ? 'a press is not retained' : 'a press is not a last will');
  switch (principal.role) {
    case 'monitor':
      return deny('the monitor role publishes nothing');
    case 'homeassistant':
      if (topic === HA_STATUS_TOPIC) return ALLOW;
      if (!press) return deny(`homeassistant publishes only its status, ${HA_STATUS_TOPIC}, and presses .../<board>/press`);
      return pressOp(message!.payload) ? ALLOW : deny(`a press from homeassistant is one of ${PRESS_OPS.join(', ')}`);
    case 'host': {
      const levels = topic.split('/');
      return under(ROOT, levels) || isDiscoveryConfig(levels) || isOutletCommand(levels)
        ? ALLOW
        : deny(`host publishes only under ${ROOT}/, discovery configs ${DISCOVERY_ROOT}/.../config and outlet commands cmnd/+/+, +/command/+`);
    }
    case 'outlet':
      return outsideDesk(topic.split('/')) ? ALLOW : deny(OUTLET_RULE);
    case 'board': {
      const parsed = parseBoardTopic(topic);
      const own = parsed !== undefined && parsed.desk === principal.desk && parsed.board === principal.board;
      return own && BOARD_PUBLISHES.includes(parsed.channel)
        ? ALLOW
        : deny(`board publishes only ${boardPrefix(principal.desk, principal.board)}/{${BOARD_PUBLISHES.join(',')}}`);
    }
  }
}

export function authorizeSubscribe(principal: Principal, filter: string): Decision {
  const broken = filterProblem(filter);
  if (broken) return deny(broken);
  const levels = filter.split('/');
  switch (principal.role) {
    case 'board': {
      // Ids cannot be `+` or `#`, so equal literal leading levels mean the filter stays inside.
      const own = boardPrefix(principal.desk, principal.board).split('/');
      return own.every((level, i) => levels[i] === level)
        ? ALLOW
        : deny(`board subscribes only inside ${own.join('/')}/`);
    }
    case 'host':
    case 'monitor':
    case 'homeassistant':
      return under(ROOT, levels) || under(DISCOVERY_ROOT, levels) || reachesDeskSys(levels) || isOutletStatus(levels)
        ? ALLOW
        : deny(`${principal.role} subscribes only under ${ROOT}/, ${DISCOVERY_ROOT}/, ${SYS_PREFIX}/ and outlet status stat/#, tele/#, +/status/#, +/online`);
    case 'outlet':
      // A wildcard first level could reach the desk's own topics, so it must be literal.
      return levels[0] !== '+' && levels[0] !== '#' && outsideDesk(levels) ? ALLOW : deny(OUTLET_RULE);
  }
}

export function isSysTopic(topic: string): boolean {
  return topic.split('/', 1)[0] === SYS_ROOT;
}

/**
 * A `$SYS` filter that can match the desk's statistics: `$SYS/deskbox/...`, or a wildcard in
 * its place (`$SYS/#`, `$SYS/+/broker/stats`); deliveries it matches elsewhere are withheld.
 * For a topic (no wildcards) this is "under $SYS/deskbox".
 */
function reachesDeskSys(levels: readonly string[]): boolean {
  return levels[0] === SYS_ROOT && (levels[1] === SYS_OURS || levels[1] === '+' || levels[1] === '#');
}

/**
 * Board client ids are reserved: a board connects with its own, and nobody else may use one
 * that belongs to a board (`owner`, looked up by the caller among the known board users).
 */
export function authorizeClientId(principal: Principal, clientId: string, owner: Principal | undefined): Decision {
  if (principal.role === 'board') {
    const own = boardClientId(principal.desk, principal.board);
    return clientId === own ? ALLOW : deny(`board ${principal.username} must connect with client id "${own}"`);
  }
  return owner ? deny(`client id "${clientId}" belongs to board ${owner.username}`) : ALLOW;
}

/**
 * A stored last will whose client is gone (published after a broker restart). Its owner's
 * rights were checked against it at CONNECT (see hooks.ts), so only the tree-wide rules remain.
 */
export function authorizeOrphanWill(topic: string): Decision {
  const broken = topicProblem(topic) ?? reservedProblem(topic);
  if (broken) return deny(broken);
  return under(ROOT, topic.split('/')) ? ALLOW : deny(`stored wills are published only under ${ROOT}/`);
}

const OUTLET_RULE = `outlet publishes and subscribes only outside ${ROOT}/, ${DISCOVERY_ROOT}/ and $-topics, from a literal first level`;

/** Not the desk's: neither its tree, Home Assistant's, nor the broker's `$` topics. */
function outsideDesk(levels: readonly string[]): boolean {
  return levels[0] !== ROOT && levels[0] !== DISCOVERY_ROOT && !levels[0]!.startsWith('$');
}

/** Tasmota's `cmnd/<topic>/<command>` and Shelly Gen2's `<prefix>/command/<component:id>`. */
function isOutletCommand(levels: readonly string[]): boolean {
  return levels.length === 3 && outsideDesk(levels) && (levels[0] === 'cmnd' || levels[1] === 'command');
}

/**
 * Tasmota's `stat/...` and `tele/...`, Shelly's `<prefix>/status/...` and `<prefix>/online`.
 * A `+` first level cannot match a `$` topic, and `deskbox/status/...` is readable anyway.
 */
function isOutletStatus(levels: readonly string[]): boolean {
  if (levels[0] === '#' || levels[0]!.startsWith('$')) return false;
  if ((levels[0] === 'stat' || levels[0] === 'tele') && levels.length >= 2) return true;
  return (levels[1] === 'status' && levels.length >= 3) || (levels[1] === 'online' && levels.length === 2);
}

/** Strictly below `root`: the root level alone is no one's. */
function under(root: string, levels: readonly string[]): boolean {
  return levels[0] === root && levels.length >= 2;
}

/** `<prefix>/<component>/[<node_id>/]<object_id>/config`, as Home Assistant reads them. */
function isDiscoveryConfig(levels: readonly string[]): boolean {
  return levels[0] === DISCOVERY_ROOT && levels.length >= 4 && levels.length <= 5 && levels[levels.length - 1] === 'config';
}

function topicProblem(topic: string): string | undefined {
  if (topic === '') return 'empty topic';
  if (topic.includes('\u0000')) return 'NUL character in topic';
  if (/[+#]/.test(topic)) return 'wildcards are not allowed in a published topic';
  return undefined;
}

function reservedProblem(topic: string): string | undefined {
  return topic.startsWith('$') ? '$-topics are reserved to the broker' : undefined;
}

function filterProblem(filter: string): string | undefined {
  if (filter === '') return 'empty filter';
  if (filter.includes('\u0000')) return 'NUL character in filter';
  const levels = filter.split('/');
  for (const [i, level] of levels.entries()) {
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) return '"#" must be a whole, last level';
    if (level.includes('+') && level !== '+') return '"+" must be a whole level';
  }
  return undefined;
}
