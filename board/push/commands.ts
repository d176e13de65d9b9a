/**
 * The push.* commands a board answers (docs/push.md): `push.fetch` brings a file to `dest`
 * from the sources the host names and then serves it to peers; `push.done` stops serving it.
 * Arguments come validated by the catalogue (broker/contract/commands/push.ts). Failures
 * become CommandErrors: `bad-args` for a request or manifest to fix, `busy` while
 * another push writes the same `dest`, `failed` when no source delivered.
 */
import { isAbsolute } from 'node:path';
import * as v from 'valibot';
import type { ParsedArgs } from '../../broker/contract/commands/index.ts';
import type { PushDoneResult, PushFetchResult } from '../../broker/contract/commands/push.ts';
import { CommandError } from '../ops/command-error.ts';
import type { Handlers } from '../ops/feature.ts';
import { PushConfigSchema, type PushConfig } from '../config/board-config.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Logger } from '../../platform/log.ts';
import { createPeerServer } from './peer-server.ts';
import { PushError, transfer } from './transfer.ts';

/** Kernel interfaces, not files: a typo'd dest there could do real harm. */
const REFUSED_ROOTS = ['/proc', '/sys', '/dev'];

export interface PushCommandDeps {
  /** The board config's `push` section; absent: the defaults. */
  config?: PushConfig;
  clock: Clock;
  logger: Logger;
  /** Stall limit of each request to a source. */
  stallTimeoutMs?: number;
}

function checkDest(dest: string): void {
  const refuse = (why: string) => new CommandError('bad-args', `dest ${JSON.stringify(dest)} ${why}`);
  if (!isAbsolute(dest)) throw refuse('must be an absolute path');
  if (dest.includes('\0')) throw refuse('holds a NUL character');
  if (dest.endsWith('/')) throw refuse('names a folder; give the file\'s path');
  if (dest.split('/').includes('..')) throw refuse('must not contain ".." segments');
  const root = REFUSED_ROOTS.find((r) => dest === r || dest.startsWith(`${r}/`));
  if (root) throw refuse(`is under ${root}, which holds no files to write`);
}

export function createPushCommands({ config, clock, logger, stallTimeoutMs = 30_000 }: PushCommandDeps) {
  const cfg = config ?? v.parse(PushConfigSchema, {});
  const peers = createPeerServer({ listenHost: cfg.listenHost, advertiseHost: cfg.advertiseHost, idleMs: cfg.idleS * 1000, clock, logger });
  /** Transfers under way, by dest: two writers of one part file would corrupt it. */
  const writing = new Map<string, { id: string; done: Promise<unknown> }>();

  const fetch = async ({ manifest, dest, sources }: ParsedArgs<'push.fetch'>): Promise<PushFetchResult> => {
    checkDest(dest);
    // The same push asked again (a rerun after Ctrl-C) waits for the one under way, then resumes from it.
    for (let other = writing.get(dest); other; other = writing.get(dest)) {
      if (other.id !== manifest.id) throw new CommandError('busy', `push ${other.id} is writing ${dest} now`);
      await other.done.catch(() => undefined);
    }
    const done = transfer({ manifest, dest, sources, timeoutMs: stallTimeoutMs });
    writing.set(dest, { id: manifest.id, done });
    try {
      const outcome = await done;
      logger.info('push complete', { id: manifest.id, dest, fetched: outcome.fetched, resumed: outcome.resumedBytes, ms: outcome.elapsedMs });
      return { id: manifest.id, ...outcome, servingAt: await peers.serve(manifest.id, dest) };
    } catch (e) {
      if (e instanceof PushError) throw new CommandError(e.kind === 'manifest' ? 'bad-args' : 'failed', e.message);
      throw e;
    } finally {
      writing.delete(dest);
    }
  };

  const finish = async ({ id }: ParsedArgs<'push.done'>): Promise<PushDoneResult> => {
    const stats = await peers.stop(id);
    return { id, served: stats !== undefined, servedBytes: stats?.servedBytes ?? 0, requests: stats?.requests ?? 0 };
  };

  return {
    handlers: { 'push.fetch': fetch, 'push.done': finish } satisfies Handlers,
    /** Stops serving everything; the agent calls it when it stops. */
    close: () => peers.close(),
  };
}
