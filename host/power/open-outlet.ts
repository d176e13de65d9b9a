/**
 * From a desk file's outlet spec to a PowerOutlet. Every connection a driver needs comes in
 * `deps`, opened once by the caller and shared (one MQTT client for all relays); a driver
 * whose dependency is missing is a PowerError 'config' naming what to provide.
 */
import type { MqttClient } from 'mqtt';
import type { GpioBinding } from '../../platform/hal/gpio.ts';
import { systemClock, type Clock } from '../../platform/clock.ts';
import { onoffGpio } from '../../board/hal/gpio/onoff.ts';
import { PowerError, type PowerOutlet } from './outlet.ts';
import type { OutletSpec } from '../locations/outlet-spec.ts';
import { tasmotaOutlet } from './tasmota.ts';
import { shellyOutlet } from './shelly.ts';
import { gpioRelayOutlet, relayLineName } from './gpio-relay.ts';
import { execFileRun, uhubctlOutlet, type Run } from './uhubctl.ts';
import { manualOutlet, type ManualDeps } from './manual.ts';
import { simSwitchOutlet } from './sim-switch.ts';

export interface OutletDeps {
  /** Connected to the desk broker as a host-role user; shared, and ended by the caller. */
  mqtt?: MqttClient;
  /** Default: onoff (sysfs GPIO on the desk computer) with the spec's line. */
  gpio?: GpioBinding;
  /** Default: execFile with a PATH lookup. */
  run?: Run;
  /** The simulated desk supervisor's socket (DeskLayout.controlSocket). */
  controlSocket?: string;
  ask?: ManualDeps['ask'];
  waitForBoot?: ManualDeps['waitForBoot'];
  /** The board the outlet powers, for prompts and descriptions. */
  board?: string;
  clock?: Clock;
}

export async function openOutlet(spec: OutletSpec, deps: OutletDeps): Promise<PowerOutlet> {
  const clock = deps.clock ?? systemClock();
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new PowerError('config', `${spec.driver} outlet${deps.board ? ` of ${deps.board}` : ''}`, `needs ${what}`);
    return value;
  };
  switch (spec.driver) {
    case 'tasmota':
      return tasmotaOutlet(spec, { mqtt: need(deps.mqtt, 'an MQTT client connected to the desk broker'), clock });
    case 'shelly':
      return shellyOutlet(spec, { mqtt: need(deps.mqtt, 'an MQTT client connected to the desk broker'), clock });
    case 'gpio':
      return gpioRelayOutlet(spec, { gpio: deps.gpio ?? await onoff(spec.line), clock });
    case 'uhubctl':
      return uhubctlOutlet(spec, { run: deps.run ?? execFileRun(), clock });
    case 'manual':
      return manualOutlet(spec, {
        ask: need(deps.ask, 'a way to ask the person at the desk (a terminal)'),
        waitForBoot: need(deps.waitForBoot, "a way to watch the board's console for a boot"),
        label: deps.board ?? 'the board',
        clock,
      });
    case 'sim':
      return simSwitchOutlet(spec, { controlSocket: need(deps.controlSocket, "the simulated desk's control socket") });
  }
}

/** No GPIO on this computer (or onoff's addon missing) is a setup problem, not a failed switch. */
async function onoff(line: number): Promise<GpioBinding> {
  try {
    return await onoffGpio({ [relayLineName(line)]: line });
  } catch (e) {
    throw new PowerError('config', `gpio relay ${line}`, (e as Error).message, { cause: e });
  }
}
