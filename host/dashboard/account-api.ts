/**
 * The page's own questions to the dashboard server, each answered for the broker user whose
 * HTTP Basic credentials come with it (checked against the broker's users file, basic-auth.ts):
 *
 *   GET /api/me                      who the user is and what the role lets them do, so the
 *                                    page greys out what the broker would refuse
 *   GET /api/console/<board>?lines=N the last N lines of the board's console log (a simulated
 *                                    desk's supervisor keeps them), for the board detail view
 *
 * The broker still decides every command: /api/me only spares the user a click that would be
 * refused.
 */
import type { IncomingMessage } from 'node:http';
import { isValidId } from '../../broker/contract/topics.ts';
import { ApiError, type ApiReply } from './api-request.ts';
import { authenticate, type DashboardUsers } from './basic-auth.ts';
import { MAX_TAIL_LINES, readConsoleTail } from './console-tail.ts';

export const ME_PATH = '/api/me';
export const CONSOLE_PATH = '/api/console';
const DEFAULT_LINES = 50;

export interface AccountApiOptions {
  users: DashboardUsers;
  /** Whether the page's Reflash flashes from here (the flash API runs). */
  flash: boolean;
  /** The console log of one of the desk's boards, or undefined (not a board, or no consoles kept). */
  consoleLog?: (board: string) => string | undefined;
}

/** What `/api/me` answers: the role, and what it may do on this page. */
export function abilities(username: string, role: string, flash: boolean) {
  const host = role === 'host';
  return { username, role, may: { command: host, flash: host && flash } };
}

/** `?lines=N`: 1 to MAX_TAIL_LINES, DEFAULT_LINES when absent. */
export function parseLines(query: string): number {
  const raw = new URLSearchParams(query).get('lines');
  if (raw === null) return DEFAULT_LINES;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_TAIL_LINES) throw new ApiError(400, `lines must be a whole number from 1 to ${MAX_TAIL_LINES}`);
  return n;
}

export function createAccountApi(o: AccountApiOptions) {
  const consoleTail = async (board: string, query: string): Promise<ApiReply> => {
    if (!isValidId(board)) throw new ApiError(400, `not a board id: ${JSON.stringify(board.slice(0, 64))}`);
    const lines = parseLines(query);
    const path = o.consoleLog?.(board);
    if (!path) throw new ApiError(404, `the dashboard cannot read ${board}'s console (only a simulated desk's dashboard keeps console logs)`);
    try {
      return { status: 200, json: { board, lines: await readConsoleTail(path, lines) } };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { status: 200, json: { board, lines: [] } };
      throw err;
    }
  };

  return {
    /** Whether `path` is one of this API's. */
    owns: (path: string) => path === ME_PATH || path.startsWith(`${CONSOLE_PATH}/`),
    async handle(req: IncomingMessage, path: string, query: string): Promise<ApiReply> {
      try {
        if (req.method !== 'GET') throw new ApiError(405, 'GET only', { allow: 'GET' });
        const user = await authenticate(req, o.users);
        if (path === ME_PATH) return { status: 200, json: abilities(user.username, user.role, o.flash) };
        return await consoleTail(path.slice(CONSOLE_PATH.length + 1), query);
      } catch (err) {
        if (err instanceof ApiError) return { status: err.status, json: { error: err.message }, headers: err.headers };
        return { status: 500, json: { error: (err as Error).message } };
      }
    },
  };
}
