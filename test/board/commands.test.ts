/**
 * A board's command dispatch through the table its features make: the replies (codes and
 * messages) a board has always sent for unknown ops, bad arguments, ops its config leaves out
 * and ops that fail, and a table that must answer every op of the catalogue exactly once.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { commandTable, handleCommand } from '../../board/commands.ts';
import type { BoardConfig } from '../../board/config/board-config.ts';
import { execFeature } from '../../board/exec/feature.ts';
import { guestsFeature } from '../../board/guests/feature.ts';
import { imagesFeature } from '../../board/images/feature.ts';
import { ledFeature } from '../../board/led/feature.ts';
import type { AgentContext, EventBody, Feature } from '../../board/ops/feature.ts';
import { pushFeature } from '../../board/push/feature.ts';
import { createScheduler } from '../../board/runtime/scheduler.ts';
import { systemFeature } from '../../board/system/feature.ts';
import { telemetryFeature } from '../../board/telemetry/feature.ts';
import { PAYLOAD_VERSION, type Reply } from '../../broker/contract/payloads.ts';
import { manualClock } from '../../platform/clock.ts';
import { memoryLogger } from '../../platform/log.ts';
import { netFeature } from '../../board/net/feature.ts';

const config: BoardConfig = {
  v: 1, desk: 'd1', board: 'b01',
  broker: { url: 'mqtt://127.0.0.1:1', username: 'b01', passwordFile: '/nonexistent' },
  tags: [], keepaliveS: 5, telemetryPeriodS: 5, samplePeriodS: 1,
  hardware: { power: 'sim', gpio: 'sim:/nonexistent', gpioLines: {}, console: '', consoleBaud: 115200 },
};

/** A board without guests, images or a way to reset, before its hardware and telemetry started. */
function bareBoard() {
  const clock = manualClock(1_000_000);
  const logger = memoryLogger('board:b01');
  const events: EventBody[] = [];
  const ctx: AgentContext = {
    config, clock, logger, scheduler: createScheduler({ clock, logger, timezone: 'UTC' }),
    publish: () => undefined, event: (e) => events.push(e), say: () => undefined,
    status: () => ({ v: 1, state: 'online', board: 'b01', version: 'x', bootedAt: 0, uptimeS: 1, keepaliveS: 5, phases: [] }),
  };
  const guests = guestsFeature(ctx, { resolveImage: () => undefined, changed: () => undefined });
  const features: Feature[] = [
    ledFeature(ctx), telemetryFeature(ctx, { bootedAt: 0, guests: () => guests.summary() }),
    imagesFeature(ctx, { rootfsInUse: () => new Set() }), netFeature(ctx, { guests: () => guests.wanted() }), guests, pushFeature(ctx), execFeature(ctx, guests), systemFeature(ctx, {}),
  ];
  const table = commandTable(features);
  const ask = (op: string, args?: Record<string, unknown>): Promise<Reply> =>
    handleCommand({ v: PAYLOAD_VERSION, id: 'r1', op, ...(args ? { args } : {}) }, { handlers: table.handlers, now: () => clock.now() });
  /** The same table with `ping` answered by `feature` instead. */
  const replacePing = (feature: Feature) => commandTable(features.map((f) => (f.handlers?.ping ? { handlers: { ...f.handlers, ping: undefined } } : f)).concat(feature));
  return { ask, features, replacePing, close: () => Promise.all(features.map((f) => f.stop?.())) };
}

const error = (r: Reply) => (r.ok ? undefined : r.error);

test('ops the board does not know, ops its config leaves out, ops not ready yet: the replies boards send', async () => {
  const board = bareBoard();
  try {
    assert.equal(error(await board.ask('self-destruct')), { code: 'unknown-op', message: 'unknown op "self-destruct"' });
    assert.equal(error(await board.ask('toString')), { code: 'unknown-op', message: 'unknown op "toString"' });
    // A board without guests says so whatever the arguments: its config, not the request, is why.
    for (const args of [{ count: 1 }, { count: -1 }, undefined]) {
      assert.equal(error(await board.ask('guests.start', args)), { code: 'failed', message: 'this board runs no guests (no guests section in its config)' });
    }
    assert.equal(error(await board.ask('guests.ls')), { code: 'failed', message: 'this board runs no guests (no guests section in its config)' });
    assert.equal(error(await board.ask('images.install', {})), { code: 'failed', message: 'this board has no image store (no images section in its config)' });
    assert.equal(error(await board.ask('reboot')), { code: 'failed', message: 'this agent was started without a way to reset its board' });
    assert.equal(error(await board.ask('exec', { argv: ['true'], guests: true })), { code: 'failed', message: 'this board runs no guests (no guests section in its config)' });
    assert.equal(error(await board.ask('telemetry.period', { seconds: 10 })), { code: 'failed', message: 'telemetry is not running yet' });
    assert.equal(error(await board.ask('led', { mode: 'on' })), { code: 'failed', message: 'led failed: hardware not ready' });
  } finally {
    await board.close();
  }
});

test('arguments are checked before a handler runs: bad-args with the messages boards have always sent', async () => {
  const board = bareBoard();
  try {
    assert.equal(error(await board.ask('led', { mode: 'disco' })), { code: 'bad-args', message: 'led needs args.mode, one of heartbeat, on, off' });
    assert.equal(error(await board.ask('led')), { code: 'bad-args', message: 'led needs args.mode, one of heartbeat, on, off' });
    assert.equal(error(await board.ask('telemetry.period', { seconds: 0 })), { code: 'bad-args', message: 'telemetry.period needs args.seconds, an integer from 1 to 3600' });
    assert.equal(error(await board.ask('exec', { argv: [] })), { code: 'bad-args', message: 'argv: must name a program' });
    const push = error(await board.ask('push.fetch', { dest: '/tmp/x' }));
    assert.is(push?.code, 'bad-args');
    assert.match(push?.message ?? '', /^manifest: /);
  } finally {
    await board.close();
  }
});

test('ping and info answer at once; an op whose handler throws is `failed`, naming the op', async () => {
  const board = bareBoard();
  try {
    assert.equal(await board.ask('ping', { ignored: true }), { v: 1, id: 'r1', ok: true, result: { pong: true, at: 1_000_000 } });
    const info = await board.ask('info');
    assert.ok(info.ok);
    assert.equal(info.ok && info.result, {
      v: 1, state: 'online', board: 'b01', version: 'x', bootedAt: 0, uptimeS: 1, keepaliveS: 5, phases: [], telemetryPeriodS: 5, pid: process.pid,
    });
    const table = board.replacePing({ handlers: { ping: () => { throw new Error('boom'); } } });
    const r = await handleCommand({ v: 1, id: 'r2', op: 'ping' }, { handlers: table.handlers, now: () => 0 });
    assert.equal(error(r), { code: 'failed', message: 'ping failed: boom' });
  } finally {
    await board.close();
  }
});

test('the table answers every op of the catalogue exactly once, and tells the answering feature', async () => {
  const board = bareBoard();
  try {
    assert.throws(() => commandTable(board.features.slice(1)), /no feature answers led/);
    assert.throws(() => commandTable([...board.features, { handlers: { ping: () => ({ pong: true, at: 0 }) } }]), /two features answer ping/);
    const told: string[] = [];
    const table = board.replacePing({ handlers: { ping: () => ({ pong: true, at: 0 }) }, answered: (op) => told.push(op) });
    table.answered('ping');
    table.answered('led');
    table.answered('self-destruct');
    assert.equal(told, ['ping']);
  } finally {
    await board.close();
  }
});

test.run();
