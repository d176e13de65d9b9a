import { isValidId } from '../../broker/contract/topics.ts';
import type { GuestLimits, GuestProfile, GuestSpec } from './types.ts';

/**
 * Guest specs are computed, not stored: a board boots guests `from..from+count-1` and derives
 * everything else from its own id and the index, so a rebooted board recreates the same guests
 * with the same ids without any state surviving the reboot.
 */

export interface GuestSpecRequest {
  board: string;
  desk: string;
  from: number;
  count: number;
  image: string;
  /** The workload; defaults to sleeping forever (an idle guest). */
  command?: string[];
  env?: Record<string, string>;
  limits?: Partial<GuestLimits>;
  profile: GuestProfile;
  /** Guest networks every new guest gets an interface on (board/net). */
  networks?: string[];
}

export class GuestSpecError extends Error {
  constructor(readonly field: string, readonly detail: string) {
    super(`guest spec: ${field} ${detail}`);
    this.name = 'GuestSpecError';
  }
}

export const DEFAULT_LIMITS: Readonly<GuestLimits> = Object.freeze({ memoryBytes: 16 * 1024 * 1024, pids: 64 });
/** 2^31-1 s: the longest sleep busybox and coreutils both accept. */
export const DEFAULT_COMMAND: readonly string[] = Object.freeze(['sleep', '2147483647']);
/** Ids carry four digits, so a board runs at most this many guests. */
export const MAX_GUESTS = 10_000;

/** Signal readiness first, then become the workload (exec: the workload is the guest's init). */
const READY_THEN_EXEC = 'echo "$DESKBOX_GUEST" > "$DESKBOX_READY" && exec "$@"';
/** Linux HOST_NAME_MAX; the id doubles as the guest's hostname. */
const HOST_NAME_MAX = 64;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function guestId(board: string, index: number): string {
  return `${board}-g${String(index).padStart(4, '0')}`;
}

export function guestSpecs(req: GuestSpecRequest): GuestSpec[] {
  const { board, desk, from, count, image, profile } = req;
  // Board ids are topic ids ([A-Za-z0-9_.-]), so every guest id passes the readiness channel.
  if (!isValidId(board)) throw new GuestSpecError('board', `${JSON.stringify(board)} is not a valid board id`);
  if (guestId(board, 0).length > HOST_NAME_MAX) throw new GuestSpecError('board', `${JSON.stringify(board)} is too long for a guest hostname (max ${HOST_NAME_MAX - 6} characters)`);
  if (!isValidId(desk)) throw new GuestSpecError('desk', `${JSON.stringify(desk)} is not a valid desk id`);
  if (!Number.isInteger(from) || from < 0) throw new GuestSpecError('from', `must be an integer >= 0, got ${from}`);
  if (!Number.isInteger(count) || count < 0) throw new GuestSpecError('count', `must be an integer >= 0, got ${count}`);
  if (from + count > MAX_GUESTS) throw new GuestSpecError('count', `guests ${from}..${from + count - 1} exceed index ${MAX_GUESTS - 1}`);
  if (image === '') throw new GuestSpecError('image', 'must not be empty');

  const command = req.command ?? DEFAULT_COMMAND;
  if (command.length === 0 || command[0] === '') throw new GuestSpecError('command', 'needs a program to run');
  if (command.some((a) => a.includes('\0'))) throw new GuestSpecError('command', 'arguments must not contain NUL');
  const extraEnv = req.env ?? {};
  for (const [k, v] of Object.entries(extraEnv)) {
    if (!ENV_NAME.test(k)) throw new GuestSpecError('env', `${JSON.stringify(k)} is not a variable name`);
    // The board's own variables carry the readiness contract; a workload must not redirect it.
    if (k.startsWith('DESKBOX_')) throw new GuestSpecError('env', `${k} is reserved for the board`);
    if (v.includes('\0')) throw new GuestSpecError('env', `${k} must not contain NUL`);
  }
  const limits: GuestLimits = {
    memoryBytes: req.limits?.memoryBytes ?? DEFAULT_LIMITS.memoryBytes,
    pids: req.limits?.pids ?? DEFAULT_LIMITS.pids,
  };
  for (const [k, v] of Object.entries(limits)) {
    if (!Number.isSafeInteger(v) || v <= 0) throw new GuestSpecError(`limits.${k}`, `must be a positive integer, got ${v}`);
  }

  return Array.from({ length: count }, (_, i): GuestSpec => {
    const index = from + i;
    const id = guestId(board, index);
    return {
      id,
      index,
      image,
      hostname: id,
      env: { ...extraEnv, DESKBOX_BOARD: board, DESKBOX_DESK: desk, DESKBOX_GUEST: id, DESKBOX_GUEST_INDEX: String(index) },
      command: ['/bin/sh', '-c', READY_THEN_EXEC, 'guest', ...command],
      limits: { ...limits },
      profile: { ...profile, namespaces: [...profile.namespaces] },
      ...(req.networks?.length ? { networks: [...req.networks] } : {}),
    };
  });
}
