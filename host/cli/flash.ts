/**
 * `deskbox flash`: one board or many in parallel, each through its serial console, with a
 * progress line per board and a result table (or `--json`); exit 1 if any failed.
 */
import { Option, type Command } from 'commander';
import Table from 'cli-table3';
import cliProgress from 'cli-progress';
import { systemClock } from '../../platform/clock.ts';
import { readDeskFile } from '../locations/desk-file.ts';
import { deskLayout } from '../locations/layout.ts';
import { resolveAccess } from '../client/access.ts';
import { flashOne, type FlashResult, type PortTarget, type Progress } from '../flash/flash-one.ts';
import { BUILTIN_PROFILES, loadUbootProfile } from '../flash/uboot-profile.ts';
import { resolveTargets, type DeskBoardList, type FlashTarget } from '../flash/targets.ts';
import { FlashFailure } from '../flash/flash-failure.ts';
import { flashLimiter } from '../flash/hub-limits.ts';
import { loadDeskYaml, type RealDesk } from '../locations/desk-yaml.ts';
import { resolveConsoles } from '../real-desk/console-paths.ts';
import { defaultAdapterSources, listAdapters } from '../real-desk/adapters.ts';
import { openSwitchboard } from '../real-desk/switchboard.ts';
import { watchBoardHealth } from '../flash/health.ts';
import { boardConsoleLogPath, openConsoleLogs, portConsoleLogPath } from '../flash/console-log.ts';
import { verifyImageFile } from '../../images/verify-file.ts';
import { deskFileOption, retiredBoardOptions, sayLeftOut, stateOption } from './options.ts';
import { outOfServiceBoards } from '../client/desk-boards.ts';
import type { BoardVerdict } from '../../broker/contract/health.ts';
import { action, printJson } from './run.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];
const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;

/** A result with where the board's console output went. */
type Reported = FlashResult & { consoleLog: string };

function resultTable(results: Reported[]): string {
  const table = new Table({ head: ['board', 'result', 'method', 'image', 'sent', 'time', 'goodput'], style: { head: [], border: [] } });
  for (const r of results) {
    const goodput = r.ok && r.ms > 0 ? `${(r.imageBytes / r.ms * 1000 / 1024).toFixed(1)} KiB/s` : '';
    const result = r.ok ? 'ok' : `failed (${r.error!.phase}): ${r.error!.code}: ${r.error!.message}\nconsole log: ${r.consoleLog}`;
    table.push([r.label, result, r.method ?? '', kib(r.imageBytes), kib(r.wireBytes), `${(r.ms / 1000).toFixed(1)} s`, goodput]);
  }
  return table.toString();
}

export function registerFlash(program: Command): void {
  // --desk names the desk id everywhere else; flash reaches its desk by --state or --desk-file.
  retiredBoardOptions(stateOption(program.command('flash')), { desk: '--boards all (flash reaches the desk by --state or --desk-file)' })
    .description('flash a board image over serial consoles: the agent protocol where an agent answers, U-Boot otherwise')
    .requiredOption('--image <file.dbi>', 'the board image to flash')
    .option('--port <dev>', 'a serial port (repeatable)', collect)
    .option('--ports <glob>', 'serial ports by pattern, e.g. \'/dev/ttyUSB*\'')
    .option('--boards <set>', 'boards of the desk (simulated, or --desk-file\'s): all, a count, ids and ranges (b001-b080,b100), tag:<name>')
    .option(...deskFileOption())
    .option('--include-quarantined', 'also boards the desk has taken out of service (quarantined, recovering, retired)')
    .addOption(new Option('--method <m>', 'how to reach the board').choices(['auto', 'agent', 'uboot']).default('auto'))
    .option('--profile <name|file.json>', `U-Boot profile (built in: ${Object.keys(BUILTIN_PROFILES).join(', ')})`, 'sim')
    .option('--prompt-timeout <s>', 'seconds to wait for U-Boot\'s countdown after a reset (default: the profile\'s)', Number)
    .option('--baud <rate>', 'baud rate of the consoles', (x) => Number(x), 115200)
    .option('--retries <n>', 'retries of a failed transfer (it resumes)', (x) => Number(x), 3)
    .option('--parallel <n>', 'boards flashed at once', (x) => Number(x), 64)
    .option('--health-timeout <s>', 'seconds for a desk board to come back online with the new image', (x) => Number(x), 120)
    .option('--json', 'print the results as JSON')
    .action(action(async (o) => {
      const verdict = await verifyImageFile(o.image);
      if (!verdict.ok) throw new Error(`refusing to flash a damaged image: ${verdict.error!.message}`);
      if (verdict.manifest!.kind !== 'board') throw new Error(`${o.image} is a ${verdict.manifest!.kind} image; boards are flashed with board images`);
      const profileOf = async (t: FlashTarget) => {
        const loaded = await loadUbootProfile((t.board && real?.boards[t.board]?.uboot) || o.profile);
        return o.promptTimeout ? { ...loaded, promptTimeoutMs: o.promptTimeout * 1000 } : loaded;
      };
      const layout = deskLayout(o.state);
      const real = o.deskFile ? await loadDeskYaml(o.deskFile) : undefined;
      // A board set leaves out the boards the desk took out of service (their recovery may be reflashing them).
      // Flashing needs no broker (U-Boot, a person's reset): without one, nothing is left out, and the user is told.
      const outOfService = o.boards && !o.includeQuarantined
        ? await resolveAccess({ state: o.state, deskFile: o.deskFile }, 'monitor').then(outOfServiceBoards).catch((e: Error) => {
          process.stderr.write(`warning: the desk's health verdicts are not readable (${e.message}): no board left out\n`);
          return new Map<string, BoardVerdict>();
        })
        : new Map<string, BoardVerdict>();
      const deskBoards = real ? async () => realDeskBoards(real) : async () => readDeskFile(layout);
      const targets = await resolveTargets(o, deskBoards, (b) => outOfService.has(b));
      if (outOfService.size > 0) {
        const named = await resolveTargets(o, deskBoards);
        sayLeftOut(named.flatMap((t) => (t.board && !targets.some((k) => k.board === t.board) ? [outOfService.get(t.board)!] : [])));
      }
      const onDesk = targets.some((t) => t.board);
      const health = onDesk ? await watchBoardHealth(await resolveAccess({ state: o.state, deskFile: o.deskFile }, 'monitor')) : undefined;
      const power = onDesk ? await openSwitchboard(real, { state: o.state, say: (l) => say(l) }) : undefined;
      const bars = !o.json && process.stderr.isTTY ? new cliProgress.MultiBar({ format: '{label} |{bar}| {percentage}% {done}/{size} KiB {rate} KiB/s {phase} {method} ETA {eta_formatted}', hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic) : undefined;
      const barOf = new Map(targets.map((t) => [t.label, bars?.create(1, 0, { label: t.label.padEnd(8), phase: 'waiting', method: '', done: 0, size: 0, rate: '0.0' })]));
      // Above the progress bars while they run, or they would overwrite it.
      const say = (line: string) => (bars ? bars.log(`${line}\n`) : process.stderr.write(`${line}\n`));
      // A desk board's link keeps its console log; a port's is kept here.
      const consoleLog = (t: PortTarget) => (t.board ? (real ? boardConsoleLogPath(o.state, t.board) : layout.board(t.board).consoleLog) : portConsoleLogPath(o.state, t.port));
      const logs = openConsoleLogs();
      const started = Date.now();
      const within = flashLimiter(o.parallel, real?.hubs ?? {});
      try {
        const results = await Promise.all(targets.map((t) => within(t.hub, async (): Promise<Reported> => ({ ...(t.problem ? unflashable(t, t.problem) : await flashOne(t, {
          imageFile: o.image, method: o.method, profile: await profileOf(t), baud: t.baud ?? o.baud, clock: systemClock(), retries: o.retries,
          resetBoard: t.board && power?.outletOf(t.board) ? async (pt: PortTarget) => { await power.outletOf(pt.board!)!.cycle(); } : undefined,
          onResetNeeded: (pt: PortTarget, waitMs: number) => say(`reset ${pt.label} now (waiting ${Math.round(waitMs / 1000)} s for U-Boot's countdown on ${pt.port})`),
          onOutput: t.board && !real ? undefined : (pt: PortTarget, chunk: Buffer) => logs.write(consoleLog(pt), chunk),
          awaitHealth: t.board && health ? (pt: PortTarget, image: { sha256: string; version: string }, since: number) => health.until(pt.board!, image, since, o.healthTimeout * 1000) : undefined,
          onProgress: (pt: PortTarget, p: Progress) => {
            const bar = barOf.get(pt.label);
            bar?.setTotal(p.imageBytes);
            const kibDone = Math.round(p.imageBytesDone / 1024);
            bar?.update(p.imageBytesDone, { phase: p.phase, method: p.method, done: kibDone, size: Math.round(p.imageBytes / 1024), rate: (kibDone / Math.max(0.001, (Date.now() - started) / 1000)).toFixed(1) });
          },
        })), consoleLog: consoleLog(t) }))));
        bars?.stop();
        if (o.json) printJson({ ok: results.every((r) => r.ok), image: o.image, results });
        else process.stdout.write(`${resultTable(results)}\n`);
        if (!results.every((r) => r.ok)) process.exitCode = 1;
      } finally {
        bars?.stop();
        await logs.close().catch((e: Error) => process.stderr.write(`warning: ${e.message}\n`));
        await health?.close();
        await power?.close();
      }
    }));
}

/** A board whose console cannot be opened now fails alone, before anything is sent. */
function unflashable(t: FlashTarget, problem: string): FlashResult {
  const f = new FlashFailure('link', 'hello', problem);
  return { label: t.label, port: t.port, ok: false, error: { code: f.code, phase: f.phase, message: f.message }, imageBytes: 0, wireBytes: 0, attempts: 0, ms: 0 };
}

async function realDeskBoards(real: RealDesk): Promise<DeskBoardList> {
  const boards = Object.keys(real.boards);
  const consoles = await resolveConsoles(real, async () => (await listAdapters(defaultAdapterSources())).adapters);
  return { boards, tags: Object.fromEntries(boards.map((b) => [b, real.boards[b]!.tags])), consoles: new Map(consoles.map((c) => [c.board, c])) };
}
