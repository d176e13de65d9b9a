/**
 * `POST /api/flash` and `GET /api/flash/<id>` (docs/dashboard.md): the page's Reflash for a
 * simulated desk. Any broker user may read a job; only the host role may start one, checked
 * here against the broker's users file, never taken from the page.
 */
import type { IncomingMessage } from 'node:http';
import * as v from 'valibot';
import { describeIssues } from '../../broker/contract/messages.ts';
import { isValidId } from '../../broker/contract/topics.ts';
import type { Logger } from '../../platform/log.ts';
import { ApiError, readJsonBody, type ApiReply } from './api-request.ts';
import { authenticate, requireRole, type DashboardUsers } from './basic-auth.ts';
import type { FlashJobs } from './flash-jobs.ts';

export const FLASH_PATH = '/api/flash';
/** The most boards a desk has. */
const MAX_BOARDS = 490;

const FlashRequestSchema = v.strictObject({
  boards: v.pipe(
    v.array(v.pipe(v.string(), v.check(isValidId, 'not a board id'))),
    v.minLength(1, 'name at least one board'),
    v.maxLength(MAX_BOARDS, `at most ${MAX_BOARDS} boards`),
  ),
});

export interface FlashApiOptions {
  /** The broker's users, shared with the dashboard's other APIs (basic-auth.ts). */
  users: DashboardUsers;
  /** The desk's boards: the only ones a job may name. */
  boards: readonly string[];
  jobs: FlashJobs;
  logger: Logger;
}

export interface FlashApi {
  /** Answers a request whose path is FLASH_PATH or under it. */
  handle(req: IncomingMessage, path: string): Promise<ApiReply>;
  close(): Promise<void>;
}

export function createFlashApi(o: FlashApiOptions): FlashApi {
  const known = new Set(o.boards);

  const validBoards = (body: unknown): string[] => {
    const parsed = v.safeParse(FlashRequestSchema, body);
    if (!parsed.success) throw new ApiError(400, `invalid request: ${describeIssues(parsed.issues)}`);
    const boards = [...new Set(parsed.output.boards)];
    const unknown = boards.filter((b) => !known.has(b));
    if (unknown.length) throw new ApiError(400, `not boards of this desk: ${unknown.slice(0, 10).join(', ')}${unknown.length > 10 ? ` and ${unknown.length - 10} more` : ''}`);
    return boards;
  };

  const start = async (req: IncomingMessage): Promise<ApiReply> => {
    const body = await readJsonBody(req);
    const user = await authenticate(req, o.users);
    requireRole(user, 'host', 'flash boards');
    const job = o.jobs.start(validBoards(body), user.username);
    return { status: 202, json: { id: job.id }, headers: { location: `${FLASH_PATH}/${job.id}` } };
  };

  const read = async (req: IncomingMessage, id: string): Promise<ApiReply> => {
    await authenticate(req, o.users);
    const job = o.jobs.get(id);
    if (!job) throw new ApiError(404, `no flash job ${id} (the dashboard keeps the last few)`);
    return { status: 200, json: job };
  };

  return {
    async handle(req, path) {
      try {
        if (path === FLASH_PATH) {
          if (req.method !== 'POST') throw new ApiError(405, 'POST to start a flash job', { allow: 'POST' });
          return await start(req);
        }
        const id = path.slice(FLASH_PATH.length + 1);
        if (!id || id.includes('/')) throw new ApiError(404, 'not found');
        if (req.method !== 'GET') throw new ApiError(405, 'GET a flash job', { allow: 'GET' });
        return await read(req, id);
      } catch (err) {
        if (err instanceof ApiError) return { status: err.status, json: { error: err.message }, headers: err.headers };
        o.logger.warn('flash request failed', { error: (err as Error).message });
        return { status: 500, json: { error: (err as Error).message } };
      }
    },
    close: () => o.jobs.close(),
  };
}
