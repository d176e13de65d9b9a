/**
 * Home Assistant MQTT discovery for a desk's boards (docs/metrics.md). Each board becomes one
 * HA device, linked to the desk through `via_device`, with power, energy and guests-running
 * sensors that HA reads straight from the board's retained telemetry, available while the
 * board's retained availability says online, a health sensor that reads the desk's retained
 * verdict on the board (docs/health.md), and a connectivity binary sensor with the board's
 * status as attributes, and reboot and identify buttons that press through the broker
 * (broker/contract/press.ts). Pure: it only builds the retained config messages.
 */
import { boardTopic } from '../../broker/contract/topics.ts';
import { DISCOVERY_ROOT } from '../../broker/contract/topics.ts';
import { VERDICT_STATES, verdictTopic } from '../../broker/contract/health.ts';
import type { PressOp } from '../../broker/contract/press.ts';
import { AGENT_VERSION } from '../../board/version.ts';

export interface DiscoveryBoard {
  board: string;
  /** The agent version from the board's status, shown as the device's software version. */
  version?: string;
}

export interface DiscoveryMessage {
  topic: string;
  /** The JSON config; empty to remove the entity. */
  payload: string;
}

/** The HA entity platforms the desk's configs use. */
export const COMPONENTS = ['sensor', 'binary_sensor', 'button'] as const;
type Component = (typeof COMPONENTS)[number];

interface Sensor {
  object: string;
  /** Default 'sensor'. */
  component?: Component;
  config: Record<string, unknown>;
  /** Where its state comes from, if not the board's telemetry; a button's is the op it presses. */
  source?: 'verdict' | 'availability' | { press: PressOp };
}

/**
 * A telemetry figure, or HA's `None` (state unknown) for an empty message: the broker clears a
 * board's retained telemetry when it goes offline (broker/availability-bridge.ts), and HA gives
 * an empty payload no `value_json`.
 */
const fromTelemetry = (expression: string) => `{{ ${expression} if value_json is defined else None }}`;

const SENSORS: readonly Sensor[] = [
  {
    object: 'power',
    config: { name: 'Power', device_class: 'power', state_class: 'measurement', unit_of_measurement: 'W', suggested_display_precision: 2, value_template: fromTelemetry('value_json.powerW') },
  },
  {
    // HA's energy dashboard takes Wh, not J; a drop (the agent restarted) starts a new meter cycle.
    object: 'energy',
    config: { name: 'Energy', device_class: 'energy', state_class: 'total_increasing', unit_of_measurement: 'Wh', suggested_display_precision: 3, value_template: fromTelemetry('(value_json.energyJ / 3600) | round(4)') },
  },
  {
    object: 'guests_running',
    config: { name: 'Guests running', state_class: 'measurement', icon: 'mdi:cube-outline', value_template: fromTelemetry('value_json.guests.running') },
  },
  {
    // An enum sensor takes no state class or unit; the whole verdict (reason, since) becomes its attributes.
    object: 'health',
    config: { name: 'Health', device_class: 'enum', options: [...VERDICT_STATES], entity_category: 'diagnostic', icon: 'mdi:stethoscope', value_template: '{{ value_json.state }}' },
    source: 'verdict',
  },
  {
    // On from the broker's plain availability word; the board's whole status (version, image,
    // slot, uptime, boot phases, why it went offline) becomes its attributes.
    object: 'online',
    component: 'binary_sensor',
    config: { name: 'Online', device_class: 'connectivity', payload_on: 'online', payload_off: 'offline' },
    source: 'availability',
  },
  {
    // Publishes the plain word; the broker makes each press a command with an id of its own.
    object: 'reboot',
    component: 'button',
    config: { name: 'Reboot', device_class: 'restart', entity_category: 'config' },
    source: { press: 'reboot' },
  },
  {
    object: 'identify',
    component: 'button',
    config: { name: 'Identify', device_class: 'identify', entity_category: 'config' },
    source: { press: 'identify' },
  },
];

/**
 * HA takes node ids of `A-Z a-z 0-9 _ -`; desk and board ids may also hold `.`. Escaping `_`,
 * `.` and `-` keeps the mapping one-to-one and leaves `-` free to separate desk from board.
 */
function escapeId(id: string): string {
  return id.replace(/[_.-]/g, (c) => ({ _: '__', '.': '_d', '-': '_h' })[c]!);
}

/** The HA device identifier of a desk, or of one of its boards (also its node id). */
export function deviceId(desk: string, board?: string): string {
  return ['deskbox', escapeId(desk), ...(board === undefined ? [] : [escapeId(board)])].join('-');
}

export function configTopics(desk: string, board: string, prefix = DISCOVERY_ROOT): string[] {
  return SENSORS.map((s) => `${prefix}/${s.component ?? 'sensor'}/${deviceId(desk, board)}/${s.object}/config`);
}

/** `configurationUrl`: where a person manages the boards (the desk's dashboard), if known. */
export function discoveryMessages(desk: string, boards: readonly DiscoveryBoard[], prefix = DISCOVERY_ROOT, configurationUrl?: string): DiscoveryMessage[] {
  return boards.flatMap(({ board, version }) => {
    const node = deviceId(desk, board);
    const device = {
      identifiers: [node],
      name: `${desk} ${board}`,
      manufacturer: 'deskbox',
      model: 'deskbox board',
      ...(version !== undefined && { sw_version: version }),
      ...(configurationUrl !== undefined && { configuration_url: configurationUrl }),
      via_device: deviceId(desk),
    };
    const topics = configTopics(desk, board, prefix);
    return SENSORS.map((sensor, i) => ({
      topic: topics[i]!,
      payload: JSON.stringify({
        ...sensor.config,
        unique_id: `${node}-${sensor.object}`,
        // A verdict stays true while the board is off (a retired board is off for good), and
        // connectivity says offline itself, so both are always available; the telemetry
        // sensors and the buttons only while the board is online.
        ...(sensor.source === 'verdict'
          ? { state_topic: verdictTopic(desk, board), json_attributes_topic: verdictTopic(desk, board) }
          : sensor.source === 'availability'
          ? { state_topic: boardTopic(desk, board, 'availability'), json_attributes_topic: boardTopic(desk, board, 'status') }
          : {
            ...(sensor.source === undefined
              ? { state_topic: boardTopic(desk, board, 'telemetry') }
              // Not retained (a retained press would outlive it: the broker refuses one); QoS 1 so a press is not lost.
              : { command_topic: boardTopic(desk, board, 'press'), payload_press: sensor.source.press, retain: false, qos: 1 }),
            // The plain word the broker keeps beside the status (contract/availability.ts).
            availability_topic: boardTopic(desk, board, 'availability'),
            payload_available: 'online',
            payload_not_available: 'offline',
          }),
        device,
        origin: { name: 'deskbox', sw_version: AGENT_VERSION },
      }),
    }));
  });
}

/** Empty retained configs: HA forgets those entities and the broker drops the retained copies. */
export function removalMessages(desk: string, boards: readonly string[], prefix = DISCOVERY_ROOT): DiscoveryMessage[] {
  return boards.flatMap((board) => configTopics(desk, board, prefix).map((topic) => ({ topic, payload: '' })));
}

/** Whether `topic` is one of `desk`'s discovery configs: the desk device's, or any board's. */
export function isDeskConfigTopic(desk: string, topic: string, prefix = DISCOVERY_ROOT): boolean {
  const [root, component, node, object, last, ...rest] = topic.split('/');
  const ours = node === deviceId(desk) || node?.startsWith(`${deviceId(desk)}-`) === true;
  return root === prefix && (COMPONENTS as readonly string[]).includes(component ?? '') && ours
    && object !== undefined && last === 'config' && rest.length === 0;
}
