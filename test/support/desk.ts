/**
 * A simulated desk for end-to-end tests, started through the built CLI (`desk up --json`) in a
 * state folder of its own. A test that fails says what the desk saw (the tail of its logs),
 * and the desk always goes: `desk down`, else SIGKILL to its process group, then the state
 * folder is removed.
 *
 *   await withDesk('deskbox-e2e-push-', async (desk) => {
 *     const up = await desk.up({ boards: 6 });
 *     ... deskbox([..., '--state', desk.state]) ...
 *   });
 *
 * For a desk shared by the tests of a file: `desk = await Desk.create(prefix)` in test.before,
 * `desk.close()` in test.after, and each test in `desk.withLogs(...)`.
 */
import type { UpResult } from '../../host/desk/up.ts';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive } from '../../host/locations/desk-file.ts';
import { deskbox } from './deskbox.ts';
import { tempDir, type TempDir } from './temp-dir.ts';

/** `desk up` options; what is not given is the CLI's default. */
export interface DeskOptions {
  boards: number;
  boardsPerProcess?: number;
  /** Console baud rate of every board (link emulator). */
  baud?: number;
  /** One-way latency of the consoles, ms. */
  latency?: number;
  /** MQTT keepalive of the boards, s. */
  keepalive?: number;
  /** Seconds between telemetry messages. */
  telemetryPeriod?: number;
  /** Seconds before a crashed agent restarts (0: never). */
  restartDelay?: number;
  maxGuests?: number;
  /** --tag name=boards, one per entry. */
  tags?: Record<string, string>;
  boardImage?: string;
  /** Any other `desk up` flags. */
  args?: string[];
  /** Limit for the `desk up` command (default 60 s). */
  timeoutMs?: number;
}

/** What `desk up --json` prints. */
export type DeskUp = UpResult;

export class Desk {
  /** Every supervisor this fixture saw, so close() finds them whatever became of them. */
  readonly #supervisors = new Set<number>();
  readonly #dir: TempDir;
  /** What the last successful `up` printed. */
  last: DeskUp | undefined;

  private constructor(dir: TempDir) {
    this.#dir = dir;
  }

  /** A fresh state folder; no desk runs in it yet. */
  static async create(prefix: string): Promise<Desk> {
    return new Desk(await tempDir(prefix));
  }

  get state(): string {
    return this.#dir.path;
  }

  /** `desk up` in this state folder; rejects with the CLI's error if it fails. */
  async up(o: DeskOptions): Promise<DeskUp> {
    const args = ['desk', 'up', '--boards', String(o.boards), '--state', this.state, '--json'];
    const flag = (name: string, value: number | string | undefined) => { if (value !== undefined) args.push(name, String(value)); };
    flag('--boards-per-process', o.boardsPerProcess);
    flag('--baud', o.baud);
    flag('--latency', o.latency);
    flag('--keepalive', o.keepalive);
    flag('--telemetry-period', o.telemetryPeriod);
    flag('--restart-delay', o.restartDelay);
    flag('--max-guests', o.maxGuests);
    for (const [name, boards] of Object.entries(o.tags ?? {})) flag('--tag', `${name}=${boards}`);
    flag('--board-image', o.boardImage);
    args.push(...(o.args ?? []));
    const up = JSON.parse((await deskbox(args, o.timeoutMs)).stdout) as DeskUp;
    this.#supervisors.add(up.pid);
    this.last = up;
    return up;
  }

  /** `desk down`, which must succeed. */
  async down(): Promise<void> {
    await deskbox(['desk', 'down', '--state', this.state]);
  }

  /** Runs `body`; if it fails, the error carries the tail of every log the desk wrote. */
  async withLogs<T>(body: () => Promise<T>): Promise<T> {
    return withDeskLogs(this.state, body);
  }

  /**
   * Takes down whatever still runs of the desk (started by up(), by a `desk up` that failed
   * before printing its pid, or by another command in this folder, e.g. `deskbox run
   * --start-desk`): `desk down`, then SIGKILL to any process group whose supervisor is still
   * there. The state folder stays, for the next up().
   */
  async stop(): Promise<void> {
    const run = JSON.parse(await readFile(join(this.state, 'run.json'), 'utf8').catch(() => '{}')) as { pid?: number };
    if (run.pid) this.#supervisors.add(run.pid);
    const alive = () => [...this.#supervisors].filter(isAlive);
    if (alive().length === 0) return;
    await deskbox(['desk', 'down', '--state', this.state]).catch(() => undefined);
    for (const pid of alive()) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch { /* gone meanwhile */ }
    }
  }

  /** stop(), then the state folder is removed. */
  async close(): Promise<void> {
    try {
      await this.stop();
    } finally {
      await this.#dir.remove();
    }
  }
}

/** A desk's state folder for `body`; the desk in it is taken down and the folder removed afterwards. */
export async function withDesk<T>(prefix: string, body: (desk: Desk) => Promise<T>): Promise<T> {
  const desk = await Desk.create(prefix);
  try {
    return await desk.withLogs(() => body(desk));
  } finally {
    await desk.close();
  }
}

/** The tail of every log a desk wrote, so a failing end-to-end test says what the desk saw. */
export async function deskLogs(state: string, lines = 8): Promise<string> {
  const files = ['supervisor.log', ...(await readdir(join(state, 'logs')).catch(() => [])).map((f) => join('logs', f))];
  const parts = await Promise.all(files.map(async (f) => {
    const text = await readFile(join(state, f), 'utf8').catch(() => '');
    return `--- ${f}\n${text.trim().split('\n').slice(-lines).join('\n')}`;
  }));
  return parts.join('\n');
}

/** Runs `body`; if it fails, the error carries the desk's logs. */
export async function withDeskLogs<T>(state: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof Error) err.message += `\n${await deskLogs(state)}`;
    throw err;
  }
}
