/**
 * A Shelly Gen2/Gen3 relay on the desk broker, through its MQTT control interface:
 * `<prefix>/command/switch:<id>` takes `on`, `off` and `status_update`, and the device reports
 * `<prefix>/status/switch:<id>` ({"id":0,"output":true,...}) when "Generic status update over
 * MQTT" is enabled; without it no answer ever comes, hence the hint on a timeout.
 */
import type { MqttClient } from 'mqtt';
import type { Clock } from '../../platform/clock.ts';
import { mqttDevice } from './mqtt-device.ts';
import { offWaitOn, sleepOn, type PowerOutlet } from './outlet.ts';
import type { SpecOf } from '../locations/outlet-spec.ts';

export function shellyOutlet(spec: SpecOf<'shelly'>, deps: { mqtt: MqttClient; clock: Clock }): PowerOutlet {
  const component = `switch:${spec.switch}`;
  const description = `shelly ${spec.prefix} ${component}`;
  const status = `${spec.prefix}/status/${component}`;
  const command = `${spec.prefix}/command/${component}`;

  const device = mqttDevice({
    client: deps.mqtt,
    outlet: description,
    clock: deps.clock,
    timeoutMs: spec.timeoutMs,
    filters: [status],
    own: [status],
    parse(topic, payload) {
      if (topic !== status) return undefined;
      try {
        const output = (JSON.parse(payload) as { output?: unknown } | null)?.output;
        return output === true ? 'on' : output === false ? 'off' : undefined;
      } catch {
        return undefined;
      }
    },
    hint: `is the device online, with MQTT control and "Generic status update over MQTT" enabled and topic prefix "${spec.prefix}"?`,
  });

  const outlet: PowerOutlet = {
    description,
    on: async () => { await device.send(command, 'on', 'on'); },
    off: async () => { await device.send(command, 'off', 'off'); },
    cycle: () => offWaitOn(outlet, spec.offMs, sleepOn(deps.clock)),
    state: () => device.send(command, 'status_update'),
    close: () => device.close(),
  };
  return outlet;
}
