/**
 * The board bundle must run on a 512 MB armv7 board: nothing from host/, no development
 * dependencies, native modules left external (loaded only where the hardware exists).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, stat } from 'node:fs/promises';

const meta = JSON.parse(await readFile('dist/board.meta.json', 'utf8')) as { inputs: Record<string, unknown> };
const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { devDependencies: Record<string, string> };
const inputs = Object.keys(meta.inputs);

test('board bundle holds no host code and no dev dependencies', () => {
  assert.ok(inputs.some((f) => f.startsWith('board/')), 'board code is in it');
  assert.equal(inputs.filter((f) => f.startsWith('host/')), []);
  const devDeps = Object.keys(pkg.devDependencies);
  assert.equal(inputs.filter((f) => devDeps.some((d) => f.includes(`node_modules/${d}/`))), []);
});

test('native modules stay external, and mqtt.js\' browser/proxy transports are left out', () => {
  for (const native of ['serialport', '@serialport', 'onoff', 'epoll']) {
    assert.equal(inputs.filter((f) => f.includes(`node_modules/${native}/`)), [], native);
  }
  for (const unused of ['ws', 'socks', 'worker-timers']) {
    assert.equal(inputs.filter((f) => f.includes(`node_modules/${unused}/`)), [], unused);
  }
});

test('board bundle stays small', async () => {
  const { size } = await stat('dist/board.mjs');
  // Grew from ~310 KB with the image store, the archive reader and the flash receiver (issues 4,
  // 5), and to ~470 KB with guest networks (board/net: desired state, planner, kernel read-back).
  assert.ok(size < 480 * 1024, `dist/board.mjs is ${size} bytes`);
});

test.run();
