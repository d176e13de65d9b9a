/**
 * The `exec` command (docs/mqtt.md): runs an argv on the board, or inside each of its running
 * guests, and answers with exit status and output. No extra check guards it here: only the
 * desk's `host` role may publish to a board's cmd topic (broker/policy.ts).
 */
import pLimit from 'p-limit';
import { MAX_PAYLOAD_BYTES } from '../../broker/contract/messages.ts';
import type { ParsedArgs } from '../../broker/contract/commands/index.ts';
import { CommandError } from '../ops/command-error.ts';
import type { Handlers } from '../ops/feature.ts';
import type { Logger } from '../../platform/log.ts';
import { fitResults, fixedBytes } from './output-budget.ts';
import { runCommand, type SpawnCommand } from './run-command.ts';
import type { ExecResult, GuestExecResult } from '../../broker/contract/commands/exec.ts';

/** Kept of stdout and of stderr each, before the reply's own limit shares out what is left. */
const CAPTURE_BYTES = 16 * 1024;
/** Room for the reply's envelope (its id may take 128 bytes). */
const ENVELOPE_BYTES = 1024;
/** Guest commands at once: each is a crun process, and the kernel serialises much of entering a guest. */
const GUEST_PARALLEL = 4;
/** About 150 bytes of fields each: 200 guests leave half of a reply for their output. */
const MAX_EXEC_GUESTS = 200;

/** What exec needs of the board's guests (board/guests/service.ts). */
export interface GuestShell {
  /** Ids of the guests that run now, in order. */
  running(): string[];
  /** How to run `argv` inside guest `id`; throws when that runtime cannot. */
  command(id: string, argv: string[]): SpawnCommand;
}

export interface ExecDeps {
  desk: string;
  board: string;
  /** Absent on a board without guests; waits for them to open. */
  guests?: () => Promise<GuestShell>;
  logger: Logger;
}

const notRun = (error: string): ExecResult => ({ exitCode: null, signal: null, stdout: '', stderr: '', truncated: false, elapsedMs: 0, timedOut: false, error });

export function createExecCommand(deps: ExecDeps) {
  const stopping = new AbortController();
  const budget = (fixed: number) => MAX_PAYLOAD_BYTES - ENVELOPE_BYTES - fixed;

  const onBoard = async (argv: string[], timeoutMs: number): Promise<ExecResult> => {
    const [file = '', ...args] = argv;
    // The board's identity goes along, so one command can act differently on each board.
    const env = { ...process.env, DESKBOX_DESK: deps.desk, DESKBOX_BOARD: deps.board };
    const result = await runCommand({ file, args, env }, { timeoutMs, captureBytes: CAPTURE_BYTES, signal: stopping.signal });
    return fitResults([result], budget(fixedBytes([result])))[0]!;
  };

  const inGuests = async (argv: string[], timeoutMs: number): Promise<{ guests: GuestExecResult[] }> => {
    if (!deps.guests) throw new CommandError('failed', 'this board runs no guests (no guests section in its config)');
    const shell = await deps.guests();
    const ids = shell.running();
    if (ids.length > MAX_EXEC_GUESTS) throw new CommandError('failed', `${ids.length} guests run here; exec reaches at most ${MAX_EXEC_GUESTS} (its reply must fit ${MAX_PAYLOAD_BYTES} bytes)`);
    // One deadline for the request: the caller waits for the whole reply, not per guest.
    const deadline = performance.now() + timeoutMs;
    const limit = pLimit(GUEST_PARALLEL);
    const results = await Promise.all(ids.map((id) => limit(async (): Promise<GuestExecResult> => {
      const left = deadline - performance.now();
      if (left <= 0) return { id, ...notRun('not started: the timeout passed while other guests ran'), timedOut: true };
      let cmd: SpawnCommand;
      try {
        cmd = shell.command(id, argv);
      } catch (e) {
        return { id, ...notRun((e as Error).message) };
      }
      return { id, ...(await runCommand(cmd, { timeoutMs: left, captureBytes: CAPTURE_BYTES, signal: stopping.signal })) };
    })));
    return { guests: fitResults(results, budget(fixedBytes(results))) };
  };

  const exec = async ({ argv, timeoutS, guests }: ParsedArgs<'exec'>) => {
    deps.logger.info('exec', { program: argv[0], words: argv.length, guests, timeoutS });
    return guests ? inGuests(argv, timeoutS * 1000) : onBoard(argv, timeoutS * 1000);
  };

  return {
    handlers: { exec } satisfies Handlers,
    /** Kills what still runs: the agent is going down and nobody will hear the replies. */
    close(): void {
      stopping.abort();
    },
  };
}
