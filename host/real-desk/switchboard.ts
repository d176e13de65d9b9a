/**
 * Every board's power outlet on one desk: a real desk's from its desk file (docs/power.md), a
 * simulated desk's through its switch (the `sim` driver). `desk power`, a run's reboots,
 * flash's resets and `desk check` all switch boards through here. What the drivers need (an
 * MQTT session on the desk broker, GPIO) is opened once, and only when some outlet needs it.
 */
import { createInterface } from 'node:readline/promises';
import type { MqttClient } from 'mqtt';
import { systemClock } from '../../platform/clock.ts';
import { deskLayout } from '../locations/layout.ts';
import { readDeskFile } from '../locations/desk-file.ts';
import { connectToDesk } from '../client/connect.ts';
import { realDeskAccess } from '../client/access.ts';
import { openOutlet } from '../power/open-outlet.ts';
import type { OutletSpec } from '../locations/outlet-spec.ts';
import type { PowerOutlet } from '../power/outlet.ts';
import type { RealDesk } from '../locations/desk-yaml.ts';
import { waitForBootOnConsole } from './boot-watch.ts';

export interface Switchboard {
  /** The board's outlet; undefined when the desk file gives it none. */
  outletOf(board: string): PowerOutlet | undefined;
  close(): Promise<void>;
}

export interface SwitchboardOptions {
  /** The simulated desk's state folder (its switch, when there is no desk file). */
  state: string;
  /** Lines for the person at the desk (the manual driver's requests). */
  say(line: string): void;
}

/** A real desk's outlets when `real` is given, the simulated desk's in `o.state` otherwise. */
export async function openSwitchboard(real: RealDesk | undefined, o: SwitchboardOptions): Promise<Switchboard> {
  const specs = real ? realSpecs(real) : await simSpecs(o.state);
  let mqtt: MqttClient | undefined;
  if (real && [...specs.values()].some((s) => s.driver === 'tasmota' || s.driver === 'shelly')) {
    mqtt = await connectToDesk(await realDeskAccess(real, 'host'), 'power outlets');
  }
  const outlets = new Map<string, PowerOutlet>();
  try {
    for (const [board, spec] of specs) {
      outlets.set(board, await openOutlet(spec, {
        board,
        clock: systemClock(),
        ...(mqtt && { mqtt }),
        controlSocket: deskLayout(spec.driver === 'sim' && spec.state ? spec.state : o.state).controlSocket,
        ask: (message: string) => askPerson(message, o.say),
        ...(real && { waitForBoot: (ms: number) => waitForBootOnConsole(real, board, ms) }),
      }));
    }
  } catch (e) {
    await Promise.all([...outlets.values()].map((x) => x.close().catch(() => undefined)));
    await mqtt?.endAsync();
    throw e;
  }
  return {
    outletOf: (board) => outlets.get(board),
    async close() {
      await Promise.all([...outlets.values()].map((x) => x.close().catch(() => undefined)));
      await mqtt?.endAsync();
    },
  };
}

function realSpecs(real: RealDesk): Map<string, OutletSpec> {
  return new Map(Object.entries(real.boards).flatMap(([b, board]) => (board.power ? [[b, board.power] as [string, OutletSpec]] : [])));
}

async function simSpecs(state: string): Promise<Map<string, OutletSpec>> {
  const desk = await readDeskFile(deskLayout(state));
  return new Map(desk.boards.map((b) => [b, { driver: 'sim', board: b } as OutletSpec]));
}

/** A request to the person at the desk; resolves when they press Enter. */
async function askPerson(message: string, say: (line: string) => void): Promise<void> {
  if (!process.stdin.isTTY) throw new Error(`${message}: no terminal to ask a person at (the manual power driver needs one)`);
  say(message);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    await rl.question('');
  } finally {
    rl.close();
  }
}

/** The board's outlet, or an error naming the board that has none. */
export function outletOf(power: Switchboard, board: string): PowerOutlet {
  const outlet = power.outletOf(board);
  if (!outlet) throw new Error(`${board} has no power outlet in the desk file (power: {driver: ...}; manual for a board switched by hand)`);
  return outlet;
}
