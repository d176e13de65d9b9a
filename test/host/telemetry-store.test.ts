import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encode, type BoardPayloads } from '../../broker/contract/messages.ts';
import { PAYLOAD_VERSION, type Telemetry } from '../../broker/contract/payloads.ts';
import { boardTopic } from '../../broker/contract/topics.ts';
import { openTelemetryStore, type TelemetryStore, type TelemetryStoreOptions } from '../../host/store/telemetry-store.ts';
import { TelemetryStoreError } from '../../host/store/schema.ts';
import { tempDirSync } from '../support/temp-dir.ts';

const DESK = 'desk1';
const T0 = 1_764_072_000_000;

// Built as the agent builds them: through encode, so a test payload obeys the contract too.
function message<K extends 'status' | 'telemetry' | 'events'>(channel: K, value: BoardPayloads[K]): [string, Buffer] {
  return [boardTopic(DESK, value.board, channel), Buffer.from(encode(channel, value))];
}

function sample(board: string, seq: number, extra: Partial<Telemetry> = {}): [string, Buffer] {
  return message('telemetry', {
    v: PAYLOAD_VERSION, board, at: T0 + seq * 2000, seq, uptimeS: seq * 2, powerW: 1.25, volts: 5, amps: 0.25,
    energyJ: seq * 2.5, cpu: 0.01, memBytes: 52_428_800, guests: { runtime: 'crun', running: 3, ready: 2, failed: 1 }, ...extra,
  });
}

function online(board: string): [string, Buffer] {
  return message('status', {
    v: PAYLOAD_VERSION, state: 'online', board, version: '0.1.0', bootedAt: T0, uptimeS: 0.25, keepaliveS: 10,
    phases: [{ phase: 'power-on', at: T0 }, { phase: 'agent-start', at: T0 + 90 }, { phase: 'ready', at: T0 + 240 }],
  });
}

/** Runs `body` with a store on a fresh file; the folder goes whatever happens. */
function withStore(body: (store: TelemetryStore, dir: string, file: string) => void, options: Partial<TelemetryStoreOptions> = {}): void {
  const { path: dir, remove: removeDir } = tempDirSync('deskbox-telemetry-store-');
  const file = join(dir, 'run.sqlite');
  const store = openTelemetryStore(file, { desk: DESK, ...options });
  try {
    body(store, dir, file);
  } finally {
    store.close();
    removeDir();
  }
}

test('telemetry, statuses and events of several boards are stored per board in board time', () => {
  withStore((store) => {
    let received = T0 + 5;
    for (const seq of [0, 1, 2]) for (const board of ['b02', 'b01', 'b03']) store.ingest(...sample(board, seq), received++);
    store.ingest(...online('b01'), received++);
    store.ingest(...message('events', { v: 1, board: 'b01', at: T0 + 240, type: 'boot-phase', phase: 'ready' }), received++);
    store.ingest(...message('events', {
      v: 1, board: 'b01', at: T0 + 3000, type: 'guests', exited: [],
      booted: [{ id: 'b01-g0000', bootMs: 21.4 }, { id: 'b01-g0001', bootMs: 23 }], failed: [{ id: 'b01-g0002', error: 'no pid' }],
    }), received++);

    const rows = store.telemetry();
    assert.equal(rows.map((r) => `${r.board}:${r.seq}`), ['b01:0', 'b01:1', 'b01:2', 'b02:0', 'b02:1', 'b02:2', 'b03:0', 'b03:1', 'b03:2']);
    assert.equal(store.telemetry('b02')[1], {
      board: 'b02', at: T0 + 2000, receivedAt: T0 + 8, seq: 1, uptimeS: 2, powerW: 1.25, volts: 5, amps: 0.25,
      energyJ: 2.5, cpu: 0.01, memBytes: 52_428_800, guestsRunning: 3, guestsReady: 2, guestsFailed: 1,
    });
    // `ready` arrived in the status and as an event: one row.
    assert.equal(store.bootPhases(), [
      { board: 'b01', phase: 'power-on', at: T0 }, { board: 'b01', phase: 'agent-start', at: T0 + 90 }, { board: 'b01', phase: 'ready', at: T0 + 240 },
    ]);
    assert.equal(store.guestBoots(), [
      { board: 'b01', guest: 'b01-g0000', bootMs: 21.4, at: T0 + 3000 }, { board: 'b01', guest: 'b01-g0001', bootMs: 23, at: T0 + 3000 },
    ]);
    assert.equal(store.counts(), {
      telemetry: 9, events: 2, statuses: 1, guestBoots: 2, malformed: 0, lostTelemetry: 0, foreign: 0, ignored: 0, duplicates: 0,
    });
  });
});

test('malformed, foreign and not-data messages are counted and never stored', () => {
  const reported: string[] = [];
  withStore((store) => {
    const topic = boardTopic(DESK, 'b01', 'telemetry');
    const [, valid] = sample('b01', 0);
    store.ingest(topic, Buffer.from('{"v":1,"board":"b01"'), T0);
    store.ingest(topic, Buffer.from(valid.toString().replace('"powerW":1.25', '"powerW":-1')), T0);
    store.ingest(topic, Buffer.from(valid.toString().replace('"v":1', '"v":2')), T0);
    store.ingest(boardTopic(DESK, 'b01', 'events'), Buffer.from('{"v":1,"board":"b01","at":1,"type":"self-destruct"}'), T0);
    store.ingest(topic, sample('b09', 0)[1], T0);
    store.ingest(boardTopic('desk2', 'b01', 'telemetry'), valid, T0);
    store.ingest('$SYS/deskbox/broker/uptime', Buffer.from('12'), T0);
    store.ingest(boardTopic(DESK, 'b01', 'cmd'), Buffer.from('{"v":1,"id":"1","op":"ping"}'), T0);
    store.ingest(boardTopic(DESK, 'b01', 'press'), Buffer.from('identify'), T0);
    store.ingest(topic, Buffer.alloc(0), T0);

    assert.equal(store.counts(), {
      telemetry: 0, events: 0, statuses: 0, guestBoots: 0, malformed: 5, lostTelemetry: 0, foreign: 2, ignored: 3, duplicates: 0,
    });
    assert.equal(store.telemetry(), []);
  }, { onMalformed: (topic, reason) => reported.push(`${basename(topic)}: ${reason}`) });
  assert.is(reported.length, 5);
  assert.match(reported[0]!, /^telemetry: not JSON/);
  assert.match(reported[1]!, /powerW/);
  assert.match(reported[2]!, /unsupported payload version 2/);
  assert.match(reported[4]!, 'payload of board "b09" on the topic of board "b01"');
});

test('gaps in a board\'s seq numbers are lost samples; a restart and a replayed copy are not', () => {
  withStore((store) => {
    for (const seq of [0, 1, 4, 5]) store.ingest(...sample('b01', seq), T0);
    store.ingest(...sample('b01', 5), T0 + 1); // the retained copy again, as on resubscribe
    store.ingest(...sample('b01', 0, { at: T0 + 60_000 }), T0); // a new agent
    store.ingest(...sample('b01', 1, { at: T0 + 62_000 }), T0);
    for (const seq of [7, 9]) store.ingest(...sample('b02', seq), T0); // first seen at 7: the host came late
    const counts = store.counts();
    assert.is(counts.lostTelemetry, 2 + 1);
    assert.is(counts.duplicates, 1);
    assert.is(counts.telemetry, 8);
  });
});

test('QoS 1 resends after a reconnect: an old sample again is a copy, a late one fills its gap', () => {
  withStore((store) => {
    for (const seq of [0, 1, 2, 3, 5, 6]) store.ingest(...sample('b01', seq), T0);
    assert.is(store.counts().lostTelemetry, 1);
    store.ingest(...sample('b01', 3), T0); // resent: it had arrived, only its ack was lost
    store.ingest(...sample('b01', 4), T0); // resent, and the first copy never arrived
    store.ingest(...sample('b01', 4), T0);
    const counts = store.counts();
    assert.is(counts.lostTelemetry, 0);
    assert.is(counts.duplicates, 2);
    assert.equal(store.telemetry().map((r) => r.seq), [0, 1, 2, 3, 4, 5, 6]);
    store.ingest(...sample('b01', 7), T0);
    assert.is(store.counts().lostTelemetry, 0, 'the newest is judged against seq 6, not the late 4');
  });
});

test('ingest commits every batchRows rows; flush commits the rest', () => {
  withStore((store, _dir, file) => {
    const reader = new Database(file, { readonly: true });
    try {
      const stored = () => reader.prepare('SELECT count(*) FROM telemetry').pluck().get();
      for (const seq of [0, 1]) store.ingest(...sample('b01', seq), T0);
      assert.is(stored(), 0);
      store.ingest(...sample('b01', 2), T0);
      assert.is(stored(), 3);
      store.ingest(...sample('b01', 3), T0);
      store.flush();
      assert.is(stored(), 4);
    } finally {
      reader.close();
    }
  }, { batchRows: 3 });
});

test('marks and metadata round-trip any JSON value', () => {
  withStore((store) => {
    store.mark('launch-start', T0 + 10, { guests: 500, boards: ['b01', 'b02'] });
    store.mark('hold-start', T0 + 20);
    store.setMeta('desk', { boards: 490, note: 'a "quoted", comma' });
    store.setMeta('gone', 1);
    store.setMeta('gone', undefined);
    assert.equal(store.marks(), [
      { name: 'launch-start', at: T0 + 10, detail: { guests: 500, boards: ['b01', 'b02'] } },
      { name: 'hold-start', at: T0 + 20, detail: undefined },
    ]);
    assert.equal(store.meta(), { desk: { boards: 490, note: 'a "quoted", comma' } });
    assert.throws(() => store.setMeta('big', 1n), (e: unknown) => e instanceof TelemetryStoreError && /key="big"/.test(e.message));
  });
});

test('CSV export writes one RFC 4180 file per table', () => {
  withStore((store, dir) => {
    store.ingest(...sample('b01', 0), T0 + 7);
    store.ingest(...message('events', {
      v: 1, board: 'b01', at: T0 + 3000, type: 'guests', booted: [], exited: [],
      failed: [{ id: 'b01-g0002', error: 'crun start "b01-g0002": exit 1,\nno pid' }],
    }), T0 + 8);
    store.mark('hold, 2nd', T0 + 20, 'a, "b"');
    const files = store.exportCsv(join(dir, 'csv'));
    assert.equal(files.map((f) => basename(f)), [
      'telemetry.csv', 'boot_phases.csv', 'guest_boots.csv', 'guest_failures.csv', 'statuses.csv', 'events.csv', 'marks.csv', 'meta.csv', 'counters.csv',
    ]);
    const csv = (name: string) => readFileSync(join(dir, 'csv', name), 'utf8');
    assert.is(csv('telemetry.csv'),
      'board,at,received_at,seq,uptime_s,power_w,volts,amps,energy_j,cpu,mem_bytes,guests_running,guests_ready,guests_failed\r\n'
      + `b01,${T0},${T0 + 7},0,0,1.25,5,0.25,0,0.01,52428800,3,2,1\r\n`);
    assert.is(csv('guest_failures.csv'), `board,guest,error,at\r\nb01,b01-g0002,"crun start ""b01-g0002"": exit 1,\nno pid",${T0 + 3000}\r\n`);
    assert.is(csv('marks.csv'), `name,at,detail\r\n"hold, 2nd",${T0 + 20},"""a, \\""b\\"""""\r\n`);
    assert.is(csv('guest_boots.csv'), 'board,guest,boot_ms,at,received_at\r\n');
    assert.match(csv('events.csv'), /^board,type,at,received_at,body\r\nb01,guests,\d+,\d+,"\{""v"":1,/);
    assert.not.ok(files.some((f) => existsSync(`${f}.partial`)));
  });
});

test('a reopened file reads back its data and counters and goes on judging seq gaps', () => {
  const { path: dir, remove: removeDir } = tempDirSync('deskbox-telemetry-store-');
  const file = join(dir, 'run.sqlite');
  try {
    const first = openTelemetryStore(file, { desk: DESK });
    for (const seq of [0, 2]) first.ingest(...sample('b01', seq), T0);
    first.ingest(boardTopic('desk2', 'b01', 'status'), online('b01')[1], T0);
    first.ingest(...online('b01'), T0);
    first.mark('launch-start', T0 + 1);
    first.setMeta('boards', 1);
    first.close();
    first.close();
    assert.throws(() => first.ingest(...sample('b01', 3), T0), (e: unknown) => e instanceof TelemetryStoreError && /closed/.test(e.message));

    const again = openTelemetryStore(file, { desk: DESK });
    try {
      again.ingest(...sample('b01', 5), T0);
      assert.equal(again.telemetry('b01').map((r) => r.seq), [0, 2, 5]);
      assert.equal(again.counts(), {
        telemetry: 3, events: 0, statuses: 1, guestBoots: 0, malformed: 0, lostTelemetry: 1 + 2, foreign: 1, ignored: 0, duplicates: 0,
      });
      assert.is(again.bootPhases().length, 3);
      assert.equal(again.marks(), [{ name: 'launch-start', at: T0 + 1, detail: undefined }]);
      assert.equal(again.meta(), { boards: 1 });
    } finally {
      again.close();
    }
  } finally {
    removeDir();
  }
});

test.run();
