/**
 * A Tasmota relay on the desk broker (labgrid's TasmotaPowerDriver is the model). Commands go
 * to `cmnd/<topic>/POWER<n>` (ON, OFF; empty asks), and the device answers on
 * `stat/<topic>/RESULT` ({"POWER<n>":"ON"}) and `stat/<topic>/POWER<n>` (ON). A device with a
 * single relay names it `POWER`, not `POWER1`, so relay 1 accepts both.
 */
import type { MqttClient } from 'mqtt';
import type { Clock } from '../../platform/clock.ts';
import { mqttDevice } from './mqtt-device.ts';
import { offWaitOn, sleepOn, type PowerOutlet } from './outlet.ts';
import type { SpecOf } from '../locations/outlet-spec.ts';

export function tasmotaOutlet(spec: SpecOf<'tasmota'>, deps: { mqtt: MqttClient; clock: Clock }): PowerOutlet {
  const key = `POWER${spec.relay}`;
  const keys = spec.relay === 1 ? [key, 'POWER'] : [key];
  const description = `tasmota ${spec.topic} ${key}`;
  const result = `stat/${spec.topic}/RESULT`;
  const own = keys.map((k) => `stat/${spec.topic}/${k}`);
  const command = `cmnd/${spec.topic}/${key}`;

  const device = mqttDevice({
    client: deps.mqtt,
    outlet: description,
    clock: deps.clock,
    timeoutMs: spec.timeoutMs,
    filters: [result, ...own],
    own,
    parse(topic, payload) {
      if (own.includes(topic)) return stateWord(payload);
      if (topic !== result) return undefined;
      const answer = parseObject(payload);
      const word = keys.map((k) => answer?.[k]).find((w) => typeof w === 'string');
      return typeof word === 'string' ? stateWord(word) : undefined;
    },
    hint: `is the device online, its MqttHost this broker and its Topic "${spec.topic}"?`,
  });

  const outlet: PowerOutlet = {
    description,
    on: async () => { await device.send(command, 'ON', 'on'); },
    off: async () => { await device.send(command, 'OFF', 'off'); },
    cycle: () => offWaitOn(outlet, spec.offMs, sleepOn(deps.clock)),
    state: () => device.send(command, ''),
    close: () => device.close(),
  };
  return outlet;
}

/** Tasmota's default StateText; anything else (TOGGLE, HOLD, a custom text) says nothing. */
function stateWord(payload: string): 'on' | 'off' | undefined {
  const w = payload.trim().toUpperCase();
  return w === 'ON' ? 'on' : w === 'OFF' ? 'off' : undefined;
}

function parseObject(payload: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(payload);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
