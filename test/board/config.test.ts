import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, loadBoardConfig } from '../../board/config/board-config.ts';
import { tempDir } from '../support/temp-dir.ts';

const BOARD = {
  v: 1, desk: 'desk1', board: 'b01',
  broker: { url: 'mqtt://127.0.0.1:1883', username: 'b01', passwordFile: '/dev/null' },
  telemetryPeriodS: 3,
  hardware: { power: 'auto', gpio: 'sim:/tmp/x' },
  guests: { stateDir: '/tmp/g', maxGuests: 50 },
};

async function withFiles(files: Record<string, unknown>, fn: (dir: string) => Promise<void>): Promise<void> {
  const { path: dir, remove: removeDir } = await tempDir('deskbox-config-');
  try {
    for (const [name, body] of Object.entries(files)) await writeFile(join(dir, name), typeof body === 'string' ? body : JSON.stringify(body));
    await fn(dir);
  } finally {
    await removeDir();
  }
}

test('layering: built-in defaults < image defaults < the board\'s own file, objects merged key by key', async () => {
  await withFiles({ 'board.json': BOARD, 'defaults.json': { telemetryPeriodS: 9, samplePeriodS: 5, guests: { maxGuests: 7, maxParallel: 2 } } }, async (dir) => {
    const plain = await loadBoardConfig(join(dir, 'board.json'));
    assert.is(plain.samplePeriodS, 1);
    assert.is(plain.guests!.maxParallel, 4);
    const layered = await loadBoardConfig(join(dir, 'board.json'), join(dir, 'defaults.json'));
    assert.is(layered.telemetryPeriodS, 3, 'the board file wins');
    assert.is(layered.samplePeriodS, 5, 'the image default fills what the board leaves out');
    assert.is(layered.guests!.maxGuests, 50);
    assert.is(layered.guests!.maxParallel, 2);
    assert.is(layered.guests!.stateDir, '/tmp/g');
    assert.is(layered.keepaliveS, 10, 'built-in default where neither says');
  });
});

test('image defaults may only hold shared settings, and say which field is wrong', async () => {
  await withFiles({ 'board.json': BOARD, 'identity.json': { board: 'b99' }, 'bad.json': { guests: { maxParallel: 0 } }, 'junk.json': '{' }, async (dir) => {
    for (const [file, why] of [['identity.json', /defaults\.json|identity\.json: board/], ['bad.json', /guests\.maxParallel/], ['junk.json', /junk\.json/]] as const) {
      try {
        await loadBoardConfig(join(dir, 'board.json'), join(dir, file));
        assert.unreachable(`${file} accepted`);
      } catch (e) {
        assert.instance(e, ConfigError);
        assert.match((e as Error).message, why);
      }
    }
  });
});

test.run();
