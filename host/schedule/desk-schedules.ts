/**
 * A desk's schedules as the desk runs them: the store in its state folder (`<state>/schedules.db`)
 * and every command a child `deskbox` with that folder as its state. A simulated desk's
 * supervisor and a real desk's `deskbox schedule serve` both start this, so a test that drives
 * it on an injected clock drives what they run.
 */
import type { Clock } from '../../platform/clock.ts';
import type { Logger } from '../../platform/log.ts';
import { deskLayout } from '../locations/layout.ts';
import { deskboxRunner } from './command-runner.ts';
import { startScheduleService } from './service.ts';
import { openScheduleStore } from './store.ts';

export interface DeskSchedulesOptions {
  state: string;
  /** The deskbox entry point the commands run with (the running CLI's own). */
  cli: string;
  clock: Clock;
  logger: Logger;
  /** The crons' time zone; the machine's by default, as a person writing `0 2 * * *` means. */
  timezone?: string;
}

export function startDeskSchedules(o: DeskSchedulesOptions) {
  const store = openScheduleStore(deskLayout(o.state).schedulesDb);
  const runner = deskboxRunner(o.cli, o.state);
  const service = startScheduleService({ store, clock: o.clock, logger: o.logger, run: runner.run, ...(o.timezone !== undefined && { timezone: o.timezone }) });
  return {
    /** Ends the commands still running (their runs are recorded as failed), then the service. */
    async stop(): Promise<void> {
      runner.stopAll();
      await service.stop();
      store.close();
    },
  };
}
