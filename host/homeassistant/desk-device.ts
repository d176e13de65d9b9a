/**
 * The desk itself as a Home Assistant device: the one every board's device names as its
 * `via_device`, with the desk's power, boards online and guests running, read from the
 * retained desk summary (broker/contract/desk-summary.ts). Its sensors expire when no summary
 * came for three periods (the publishing host stopped), rather than show old figures. Pure.
 */
import { deskSummaryTopic } from '../../broker/contract/desk-summary.ts';
import { DISCOVERY_ROOT } from '../../broker/contract/topics.ts';
import { AGENT_VERSION } from '../../board/version.ts';
import { deviceId, type DiscoveryMessage } from './discovery.ts';

/** How often the host republishes the summary (host/homeassistant/desk-summary.ts). */
export const SUMMARY_PERIOD_MS = 10_000;

const DESK_SENSORS: readonly { object: string; config: Record<string, unknown> }[] = [
  { object: 'power', config: { name: 'Power', device_class: 'power', state_class: 'measurement', unit_of_measurement: 'W', suggested_display_precision: 2, value_template: '{{ value_json.powerW }}' } },
  { object: 'boards_online', config: { name: 'Boards online', state_class: 'measurement', icon: 'mdi:developer-board', value_template: '{{ value_json.online }}' } },
  { object: 'guests_running', config: { name: 'Guests running', state_class: 'measurement', icon: 'mdi:cube-outline', value_template: '{{ value_json.guestsRunning }}' } },
];

export function deskConfigTopics(desk: string, prefix = DISCOVERY_ROOT): string[] {
  return DESK_SENSORS.map((s) => `${prefix}/sensor/${deviceId(desk)}/${s.object}/config`);
}

/** `configurationUrl`: where a person manages the desk (its dashboard), if it has one. */
export function deskDiscoveryMessages(desk: string, opts: { prefix?: string; configurationUrl?: string } = {}): DiscoveryMessage[] {
  const node = deviceId(desk);
  const device = {
    identifiers: [node],
    name: `deskbox ${desk}`,
    manufacturer: 'deskbox',
    model: 'deskbox desk',
    sw_version: AGENT_VERSION,
    ...(opts.configurationUrl !== undefined && { configuration_url: opts.configurationUrl }),
  };
  const topics = deskConfigTopics(desk, opts.prefix);
  return DESK_SENSORS.map((sensor, i) => ({
    topic: topics[i]!,
    payload: JSON.stringify({
      ...sensor.config,
      unique_id: `${node}-${sensor.object}`,
      state_topic: deskSummaryTopic(desk),
      expire_after: (3 * SUMMARY_PERIOD_MS) / 1000,
      device,
      origin: { name: 'deskbox', sw_version: AGENT_VERSION },
    }),
  }));
}
