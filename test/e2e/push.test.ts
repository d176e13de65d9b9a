/**
 * `deskbox push` on a simulated desk, as a user runs it: an 8 MiB file to six boards down a
 * tree of fan-out 2, the same bytes on every board, the host's uplink carrying the file about
 * twice instead of six times; a rerun fetches nothing; nothing left after `desk down`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { boardIds } from '../../host/locations/layout.ts';
import type { PushReport } from '../../host/push/report.ts';
import { deskbox, processesMentioning } from '../support/deskbox.ts';
import { withDesk } from '../support/desk.ts';

const SIZE = 8 << 20;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('push: six boards get the verified file through a tree; a rerun fetches nothing', () => withDesk('deskbox-e2e-push-', async (desk) => {
  const state = desk.state;
  await desk.up({ boards: 6 });
  const data = randomBytes(SIZE);
  const file = join(state, 'payload.bin');
  await writeFile(file, data);
  const dest = join(state, 'boards', '{board}', 'files', 'payload.bin');
  const push = ['push', file, dest, '--boards', 'all', '--fanout', '2', '--state', state, '--json'];

  const first = JSON.parse((await deskbox(push)).stdout) as PushReport;
  assert.equal([first.ok, first.boards, first.failed, first.depth], [true, 6, 0, 2]);
  for (const board of boardIds(6)) {
    assert.is(sha(await readFile(dest.replace('{board}', board))), sha(data), `${board}'s copy`);
  }
  assert.ok(first.hostBytes < 6 * SIZE, `the host sent ${first.hostBytes} bytes`);
  assert.is(first.hostBytes, 2 * SIZE, 'the host fed its two children only');
  const fromPeers = first.results.filter((r) => r.parent !== null);
  assert.ok(fromPeers.every((r) => r.fetched === SIZE && r.failedSources?.length === 0), 'depth-2 boards fetched from their parents');
  assert.is(first.results.reduce((n, r) => n + (r.servedBytes ?? 0), 0), 4 * SIZE, 'b01 and b02 served two boards each');

  const again = JSON.parse((await deskbox(push)).stdout) as PushReport;
  assert.equal([again.ok, again.fetchedBytes, again.hostBytes, again.id], [true, 0, 0, first.id]);
  assert.ok(again.results.every((r) => r.resumedBytes === SIZE));

  await desk.down();
  assert.equal(await processesMentioning(state), [], 'nothing of the desk left running');
}));

test.run();
