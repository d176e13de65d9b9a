/**
 * The simulated desk's power switch, through its supervisor's control socket
 * (host/desk/control.ts). The desk switches a board's whole process group, so boards sharing a
 * boot program go off and on together; the state read back is that group's.
 */
import { ControlError, controlRequest } from '../desk/control.ts';
import type { DeskStatus } from '../desk/status.ts';
import type { GroupState } from '../desk/board-processes.ts';
import { PowerError, type OutletState, type PowerOutlet } from './outlet.ts';
import type { SpecOf } from '../locations/outlet-spec.ts';

export function simSwitchOutlet(spec: SpecOf<'sim'>, deps: { controlSocket: string }): PowerOutlet {
  const description = `sim switch ${spec.board}`;

  const request = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    try {
      return await controlRequest<T>(deps.controlSocket, method, path, body);
    } catch (e) {
      const down = e instanceof ControlError && e.status === 503;
      const code = down ? 'no-answer' : e instanceof ControlError && e.status < 500 ? 'refused' : 'failed';
      throw new PowerError(code, description, (e as Error).message, { cause: e });
    }
  };
  const power = async (action: 'on' | 'off' | 'cycle') => {
    const group = await request<GroupState>('POST', '/power', { board: spec.board, action });
    const want = action === 'off' ? 'off' : 'on';
    if (group.power !== want) throw new PowerError('failed', description, `asked ${action}, the desk reports ${group.power}`);
  };

  return {
    description,
    on: () => power('on'),
    off: () => power('off'),
    // The desk has its own cycle, with the off time its boards are modelled with.
    cycle: () => power('cycle'),
    async state(): Promise<OutletState> {
      const status = await request<DeskStatus>('GET', '/status');
      const group = status.groups.find((g) => g.boards.includes(spec.board));
      if (!group) throw new PowerError('config', description, `no board "${spec.board}" on this desk`);
      return group.power;
    },
    close: async () => undefined,
  };
}
