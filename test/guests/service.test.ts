/**
 * The guest service end to end on one board, for both runtimes: real guests (crun
 * containers, or plain processes), the real readiness FIFO, the supervisor's restarts and
 * adoption after the agent is gone, bad requests answered with clear errors.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { openGuestService, type GuestService } from '../../board/guests/service.ts';
import type { GuestEvent } from '../../board/guests/supervisor.ts';
import type { GuestsConfig } from '../../board/config/board-config.ts';
import { systemClock } from '../../platform/clock.ts';
import { memoryLogger } from '../../platform/log.ts';
import { CommandError } from '../../board/ops/command-error.ts';
import { answer } from '../../board/commands.ts';
import { buildBusyboxRootfs, defaultBusyboxPath } from '../../images/busybox-rootfs.ts';
import { waitFor } from '../support/wait.ts';
import { processesMentioning } from '../support/deskbox.ts';
import { tempDirs } from '../support/temp-dir.ts';

const temps = tempDirs();
let work = '';
let imagesDir = '';

test.before(async () => {
  work = await temps.make('deskbox-guests-');
  imagesDir = join(work, 'images');
  await buildBusyboxRootfs({ busybox: defaultBusyboxPath()!, dest: join(imagesDir, 'busybox', 'rootfs'), logger: memoryLogger() });
  // An image with every mount point but no programs: guests of it cannot start.
  for (const d of ['proc', 'dev', 'tmp', 'run', 'sys', 'var/tmp']) await mkdir(join(imagesDir, 'hollow', 'rootfs', d), { recursive: true });
});

test.after(async () => {
  await temps.removeAll();
});

function open(runtime: 'crun' | 'process', stateDir: string, events: GuestEvent[] = []): Promise<GuestService> {
  const config: GuestsConfig = {
    runtime, stateDir, maxGuests: 20, maxParallel: 2, profile: 'light', stopGraceMs: 300,
    restart: { mode: 'on-failure', maxRestarts: 2, backoffBaseMs: 10, backoffMaxMs: 50 },
  };
  const resolveImage = (name: string) => (['busybox', 'hollow'].includes(name) ? join(imagesDir, name, 'rootfs') : undefined);
  return openGuestService({ config, desk: 'd1', board: 'b01', clock: systemClock(), logger: memoryLogger(), resolveImage, onEvents: (e) => events.push(...e) });
}

async function rejects(p: Promise<unknown>, code: string, text: string): Promise<void> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof CommandError, `expected a CommandError, got ${String(err)}`);
  assert.is(err.code, code);
  assert.match(err.message, text);
}

for (const runtime of ['crun', 'process'] as const) {
  test(`${runtime}: boot, time, restart by policy, stop; bad requests refused`, async () => {
    const stateDir = join(work, `ram-${runtime}`);
    const events: GuestEvent[] = [];
    const service = await open(runtime, stateDir, events);
    try {
      const started = (await answer(service.handlers, 'guests.start', { count: 5, waitS: 30 })) as { ready: number; bootMs: { p50: number; max: number } };
      assert.is(started.ready, 5);
      assert.ok(started.bootMs.p50 > 0 && started.bootMs.max < 30_000);
      assert.equal(service.summary().running, 5);
      await service.tick();
      assert.is(events.filter((e) => e.type === 'booted').length, 5, 'each boot published as an event');

      await rejects(answer(service.handlers, 'guests.start', { count: 16 }), 'bad-args', 'cap of 20');
      await rejects(answer(service.handlers, 'guests.start', { count: 1, image: 'nonesuch' }), 'bad-args', 'unknown image "nonesuch"');
      await rejects(answer(service.handlers, 'guests.start', { count: 1, image: '../etc' }), 'bad-args', 'image');
      await rejects(answer(service.handlers, 'guests.start', { count: -1 }), 'bad-args', 'count');
      await rejects(answer(service.handlers, 'guests.start', {}), 'bad-args', 'count');

      // The runtime cannot start them at all (an image without a shell): one error reply, no trace left.
      await rejects(answer(service.handlers, 'guests.start', { count: 2, image: 'hollow', waitS: 30 }), 'failed', 'no guest started');
      assert.is(service.summary().failed, 0);
      assert.is(((await answer(service.handlers, 'guests.ls', {})) as { guests: unknown[] }).guests.length, 5);

      // A guest that exits at once: reported, restarted by policy, then left failed; others unaffected.
      const quick = (await answer(service.handlers, 'guests.start', { count: 1, cmd: ['true'], waitS: 30 })) as { ready: number };
      assert.is(quick.ready, 1, 'it signalled ready before exiting');
      await waitFor(async () => { await service.tick(); return service.summary().failed === 1; }, { timeoutMs: 10_000, what: 'the quick guest to end up failed' });
      assert.ok(events.filter((e) => e.type === 'exited').length >= 3, `exits reported, restarts included: ${JSON.stringify(events.filter((e) => e.type !== 'booted'))}`);
      assert.is(service.summary().ready, 5);

      // Adoption after the agent is SIGKILLed is covered end to end in test/e2e/guests.test.ts.
      const ls = (await answer(service.handlers, 'guests.ls', {})) as { guests: { id: string; phase: string; pid: number | null }[] };
      assert.is(ls.guests.filter((g) => g.phase === 'ready' && g.pid).length, 5);
      const stopped = (await answer(service.handlers, 'guests.stop', { all: true })) as { stopped: number; board: { running: number } };
      assert.equal([stopped.stopped, stopped.board.running], [6, 0]);
    } finally {
      await service.close();
    }
    await waitFor(async () => (await processesMentioning('2147483647')).length === 0, { timeoutMs: 10_000, what: 'no guest left' });
  });

  test(`${runtime}: the health check's probe guest starts and stops outside the supervisor; a hollow image fails with why`, async () => {
    const service = await open(runtime, join(work, `ram-probe-${runtime}`));
    try {
      const probe = await service.launch('busybox');
      assert.is(probe.runtime, runtime);
      assert.ok(probe.ms > 0 && probe.ms < 30_000, `${probe.ms} ms`);
      assert.equal(service.summary().running, 0, 'not one of the board\'s guests');
      const err = await service.launch('hollow').then(() => undefined, (e: Error) => e);
      assert.match(err?.message ?? 'no error', /b01-health/);
      // crun's own processes for a stopped guest may take a moment to go on a busy machine.
      await waitFor(async () => (await processesMentioning('b01-health')).length === 0, { timeoutMs: 10_000, what: 'nothing left of the probes' });
    } finally {
      await service.close();
    }
  });
}

test.run();
