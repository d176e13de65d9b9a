/**
 * `deskbox health serve`: a real desk's health service, run until stopped (its systemd unit:
 * `deskbox desk units`). A simulated desk's supervisor runs its own, so this wants a desk file.
 */
import type { Command } from 'commander';
import { systemClock } from '../../platform/clock.ts';
import { stderrLogger } from '../../platform/log.ts';
import { BUILTIN_PROFILES } from '../flash/uboot-profile.ts';
import { DEFAULT_THRESHOLDS } from '../health/evidence.ts';
import { DeskStateError } from '../locations/desk-file.ts';
import { loadDeskYaml } from '../locations/desk-yaml.ts';
import { startRealDeskHealth } from '../real-desk/desk-health.ts';
import { deskFileOption, healthThresholdOption, integer as int, stateOption } from './options.ts';
import type { Transition } from '../health/policy.ts';
import { action } from './run.ts';

export function registerHealthServe(health: Command): void {
  stateOption(health.command('serve'))
    .description('judge a real desk\'s boards and recover them until stopped (SIGTERM, Ctrl-C); the record goes to <state>/health.db')
    .option(...deskFileOption())
    .requiredOption('--board-image <file.dbi>', 'the known-good board image a recovery reflashes')
    .option('--profile <name|file.json>', `U-Boot profile of boards whose desk file names none (built in: ${Object.keys(BUILTIN_PROFILES).join(', ')})`, 'sim')
    .option('--recovery-timeout <s>', 'seconds a board may take to come back after a recovery step (power cycle, reflash)', int('--recovery-timeout', 1), 180)
    .option('--outlet-poll <s>', 'seconds between asking the outlets which boards are switched off', int('--outlet-poll', 1), 10)
    .option(...healthThresholdOption)
    .option('--json', 'print one JSON line per verdict change on stdout')
    .action(action(async (o: { state: string; deskFile?: string; boardImage: string; profile: string; recoveryTimeout: number; outletPoll: number; healthThreshold: Record<string, number>; json?: boolean }) => {
      if (!o.deskFile) throw new DeskStateError('health serve is for a real desk: give --desk-file (or set DESKBOX_DESK_FILE); a simulated desk\'s supervisor runs its own');
      const logger = stderrLogger('health');
      const health = await startRealDeskHealth({
        real: await loadDeskYaml(o.deskFile), state: o.state, boardImage: o.boardImage, profile: o.profile,
        thresholds: { ...DEFAULT_THRESHOLDS, ...o.healthThreshold }, onlineTimeoutMs: o.recoveryTimeout * 1000, outletPollMs: o.outletPoll * 1000,
        clock: systemClock(), logger,
        ...(o.json && { onTransition: (t: Transition) => process.stdout.write(`${JSON.stringify(t)}\n`) }),
      });
      logger.info('health service up', { deskFile: o.deskFile, boardImage: o.boardImage });
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await health.close();
    }));
}
