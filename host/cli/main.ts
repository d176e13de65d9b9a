/** The `deskbox` command line: one file per subcommand, registered here. */
import { Command } from 'commander';
import { registerDesk } from './desk.ts';
import { registerBoards } from './boards.ts';
import { registerMonitor } from './monitor.ts';
import { registerBroker } from './broker.ts';
import { registerGuests } from './guests.ts';
import { registerKeys } from './keys.ts';
import { registerImage } from './image.ts';
import { addImageStoreCommands } from './image-store.ts';
import { registerFlash } from './flash.ts';
import { registerConsole } from './console.ts';
import { registerNet } from './net.ts';
import { registerExperiment } from './experiment.ts';
import { registerExec } from './exec.ts';
import { registerPush } from './push.ts';
import { registerDashboard } from './dashboard.ts';
import { registerMetrics } from './metrics.ts';
import { registerHealth } from './health.ts';
import { registerSchedule } from './schedule.ts';
import { registerUse } from './use.ts';
import { contextEnvironment, readContext } from '../locations/desk-context.ts';
import { AGENT_VERSION } from '../../board/version.ts';

// The desk `deskbox use` saved, as defaults under the environment's own (options.ts); a
// broken file is said once and ignored, so that `deskbox use --clear` can still remove it.
try {
  const saved = readContext();
  if (saved) for (const [name, value] of Object.entries(contextEnvironment(saved))) process.env[name] ??= value;
} catch (e) {
  process.stderr.write(`deskbox: ${(e as Error).message}\n`);
}

const program = new Command('deskbox')
  .description('a cluster on your desk: simulated or real boards, their broker, and the tools to watch them')
  .version(AGENT_VERSION)
  // `deskbox -V` is the program's version; `image build ... --version 2` is the image's.
  .enablePositionalOptions()
  .showHelpAfterError('(add --help for usage)')
  // A command line commander refuses (unknown option, missing argument, bad value, a group
  // without its subcommand) exits 2, the usage convention; help and version exit 0, and a
  // command that ran and failed exits 1 (run.ts). Subcommands inherit this.
  .exitOverride((err) => {
    if (err.exitCode !== 0) process.exit(2);
  });

registerDesk(program);
registerBoards(program);
registerMonitor(program);
registerBroker(program);
registerGuests(program);
registerKeys(program);
addImageStoreCommands(registerImage(program));
registerFlash(program);
registerConsole(program);
registerNet(program);
registerExperiment(program);
registerExec(program);
registerPush(program);
registerDashboard(program);
registerHealth(program);
registerSchedule(program);
registerUse(program);
registerMetrics(program);

await program.parseAsync();
