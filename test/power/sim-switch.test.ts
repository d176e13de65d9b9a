/**
 * The sim switch against a stand-in supervisor: the real control server (host/desk/control.ts)
 * with handlers that keep one group's power the way the desk does. The desk e2e test covers the
 * real supervisor.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { outletContract, type Switched } from './outlet.contract.ts';
import { ControlError, startControlServer } from '../../host/desk/control.ts';
import { openOutlet } from '../../host/power/open-outlet.ts';
import { parseOutletSpec } from '../../host/locations/outlet-spec.ts';
import { PowerError } from '../../host/power/outlet.ts';
import { tempDir } from '../support/temp-dir.ts';

async function standInDesk(socket: string): Promise<{ server: Server; switches: Switched[] }> {
  const switches: Switched[] = [];
  let power: Switched = 'off';
  const group = () => ({ name: 'b01..b02', boards: ['b01', 'b02'], power, processes: [], dark: {}, restarts: 0 });
  const server = await startControlServer(socket, {
    status: () => ({ desk: 'd1', pid: process.pid, groups: [group()] }),
    async power(board, action) {
      if (!group().boards.includes(board)) throw new Error(`no board "${board}" on this desk`);
      if (!['on', 'off', 'cycle'].includes(action)) throw new ControlError('power action must be one of on, off, cycle');
      for (const s of action === 'cycle' ? (['off', 'on'] as const) : [action as Switched]) switches.push((power = s));
      return group();
    },
    link: async () => ({}),
  });
  return { server, switches };
}

const closeServer = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

outletContract('sim switch (stand-in supervisor)', async () => {
  const dir = await tempDir('deskbox-power-sim-');
  const socket = join(dir.path, 'control.sock');
  const desk = await standInDesk(socket);
  const outlet = await openOutlet(parseOutletSpec({ driver: 'sim', board: 'b02' }), { controlSocket: socket });
  return { outlet, switches: async () => desk.switches, cleanup: async () => { await outlet.close(); await closeServer(desk.server); await dir.remove(); } };
}, { knowsState: true });

test('sim switch: no supervisor is no-answer; a board the desk does not have is named', async () => {
  const dir = await tempDir('deskbox-power-sim-');
  const socket = join(dir.path, 'control.sock');
  try {
    const gone = await openOutlet(parseOutletSpec({ driver: 'sim', board: 'b02' }), { controlSocket: socket });
    const e = await gone.on().then(() => undefined, (err: unknown) => err);
    assert.instance(e, PowerError);
    assert.is((e as PowerError).code, 'no-answer');
    assert.match((e as Error).message, 'sim switch b02: the desk supervisor is not running');
    const desk = await standInDesk(socket);
    try {
      const stranger = await openOutlet(parseOutletSpec({ driver: 'sim', board: 'b09' }), { controlSocket: socket });
      const s = await stranger.state().then(() => undefined, (err: unknown) => err);
      assert.is((s as PowerError).code, 'config');
      const p = await stranger.on().then(() => undefined, (err: unknown) => err);
      assert.match((p as Error).message, 'no board "b09" on this desk');
    } finally {
      await closeServer(desk.server);
    }
  } finally {
    await dir.remove();
  }
});

test.run();
