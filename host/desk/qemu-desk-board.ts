/**
 * A QEMU board on the desk, as the supervisor runs it: its console through the same link
 * emulator as a simulated board's (QEMU's UART opens the emulator's board end, so baud and
 * latency apply to U-Boot, the kernel and the agent alike, and console.log has every byte),
 * and its power switch. Off quits QEMU (nothing of the board is left running); on starts it
 * and releases the CPU from reset; cycle is the reset line, or on when it was off.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive } from '../locations/desk-file.ts';
import type { DeskFile } from '../locations/desk-file.ts';
import type { DeskLayout } from '../locations/layout.ts';
import type { Logger } from '../../platform/log.ts';
import type { QemuBoard } from '../flash/qemu-board.ts';
import { BOARD_BROKER_TLS_PORT, startQemuMachine } from '../qemu/machine.ts';
import { openBoardConsole } from './board-console.ts';
import type { GroupState, PowerAction } from './board-processes.ts';
import type { LinkEmulator } from './link-emulator.ts';
import { qemuDiskPath } from './qemu-desk-disks.ts';

/** The desk's QEMU boards by id, powered on together once the simulated boards are. */
export async function prepareQemuDeskBoards(layout: DeskLayout, desk: DeskFile, brokerPorts: number[], logger: Logger): Promise<Map<string, QemuDeskBoard>> {
  const boards = new Map<string, QemuDeskBoard>();
  try {
    for (const id of desk.qemuBoards) boards.set(id, await prepareQemuDeskBoard(layout, desk, id, brokerPorts, logger.child(id)));
    await Promise.all([...boards.values()].map((b) => b.power('on')));
  } catch (e) {
    await Promise.all([...boards.values()].map((b) => b.close()));
    throw e;
  }
  return boards;
}

export interface QemuDeskBoard {
  id: string;
  link: LinkEmulator;
  power(action: PowerAction): Promise<GroupState>;
  state(): GroupState;
  close(): Promise<void>;
}

/** `brokerPorts`: the desk broker's TLS port on 127.0.0.1 (a cluster's: every node's), where QEMU forwards the board's connections. */
export async function prepareQemuDeskBoard(layout: DeskLayout, desk: DeskFile, id: string, brokerPorts: number[], logger: Logger): Promise<QemuDeskBoard> {
  const paths = layout.board(id);
  const serial = await openBoardConsole(paths, desk, id, logger);
  let machine: QemuBoard | undefined;
  let poweredOnAt: number | undefined;
  /** QEMUs that died on their own and were replaced by a power on. */
  let replaced = 0;
  let lastExit: string | undefined;
  // One power change at a time: a cycle asked for during an on waits for it, as a switch would.
  let queue: Promise<unknown> = Promise.resolve();

  const off = async () => {
    const m = machine;
    machine = undefined;
    if (!m) return;
    lastExit = isAlive(m.pid) ? 'powered off' : 'QEMU exited';
    await m.close();
  };
  const on = async () => {
    machine = await startQemuMachine({ dir: paths.dir, disk: qemuDiskPath(layout, id), brokerPorts, brokerGuestPort: BOARD_BROKER_TLS_PORT, console: serial.link.boardPath, powerOnFile });
    await reset(machine);
  };
  const powerOnFile = join(paths.dir, 'power-on-at');
  // The board asks for this once its network is up, to report its boot from power-on.
  const reset = async (m: QemuBoard) => {
    poweredOnAt = Date.now();
    await writeFile(powerOnFile, `${poweredOnAt}\n`);
    await m.reset();
  };
  const running = () => machine !== undefined && isAlive(machine.pid);

  const state = (): GroupState => ({
    name: id, boards: [id], power: running() ? 'on' : 'off', machine: 'qemu',
    processes: running() ? [{ pid: machine!.pid, boards: [id] }] : [],
    dark: machine && !running() ? { [id]: 'QEMU exited' } : {},
    ...(poweredOnAt !== undefined ? { poweredOnAt } : {}), restarts: replaced, ...(lastExit ? { lastExit } : {}),
  });

  const power = (action: PowerAction) => {
    const change = queue.then(async () => {
      logger.info('power', { board: id, action });
      if (action === 'off') return off();
      if (action === 'cycle' && running()) return reset(machine!);
      // A QEMU that died on its own is replaced, as pulling the plug and putting it back would.
      if (machine && !running()) {
        replaced++;
        await off();
      }
      if (!machine) await on();
    });
    queue = change.catch(() => undefined);
    return change.then(state);
  };

  return {
    id,
    link: serial.link,
    power,
    state,
    async close() {
      await power('off').catch((e: Error) => logger.warn('QEMU did not stop', { board: id, error: e.message }));
      await serial.close();
    },
  };
}
