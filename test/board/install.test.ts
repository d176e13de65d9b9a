/**
 * `board-boot.mjs install` as a user runs it on a board: the built bundles, a board image
 * signed by `deskbox keys init`, the unit checked by systemd-analyze, and the installed files
 * booted for real (a private mount namespace puts them at the board's paths) against a desk broker.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, mkdir, open, readFile, readdir, readlink, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { applyEdits, modify } from 'jsonc-parser/lib/esm/main.js';
import { ConfigError, loadBoardConfig } from '../../board/config/board-config.ts';
import { readBootEnv } from '../../board/flash/boot-env.ts';
import { readProcStat } from '../../platform/proc-stat.ts';
import { createLogger } from '../../platform/log.ts';
import { createDeskBroker } from '../../broker/server.ts';
import { newUser, UserStore } from '../../broker/users.ts';
import { loadPublicKey } from '../../images/format/keys.ts';
import { verifyImageFile } from '../../images/verify-file.ts';
import { openImageStream } from '../../images/read-stream.ts';
import { extractArchive } from '../../images/archive/extract.ts';
import { waitFor } from '../support/wait.ts';
import { tempDir } from '../support/temp-dir.ts';
import { runProgram as run } from '../support/run-program.ts';

const DIST = new URL('../../dist/', import.meta.url).pathname;
const PASSWORD = 'b07-secret-password';

const { path: work, remove: removeWork } = await tempDir('deskbox-install-');
const desk = join(work, 'desk');
const image = join(work, 'board.dbi');
const pub = join(desk, 'keys', 'desk.pub');
for (const args of [['keys', 'init', '--state', desk], ['image', 'build', 'board', '--state', desk, '-o', image]]) {
  const r = await run(process.execPath, [join(DIST, 'deskbox.mjs'), ...args]);
  if (r.code !== 0) throw new Error(`deskbox ${args.join(' ')}: ${r.stderr}`);
}

/** Options over the defaults below; `true` for a flag. */
const install = (root: string, opts: Record<string, string | true> = {}) => run(process.execPath, [join(DIST, 'board-boot.mjs'), 'install', '--root', root,
  ...Object.entries<string | true>({ image, trust: pub, board: 'b07', desk: 'desk1', broker: 'mqtt://127.0.0.1:1883', ...opts }).flatMap(([k, v]) => (v === true ? [`--${k}`] : [`--${k}`, v]))]);
const mode = async (path: string) => (await stat(path)).mode & 0o7777;

test.after(() => removeWork());

test('writes every file with its mode; the config loads as written; slot a verifies and is active', async () => {
  const root = join(work, 'root1');
  const r = await install(root, { console: '/dev/ttyS1' });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, 'systemctl daemon-reload && systemctl enable --now deskbox-board');
  assert.is(await readFile(join(root, 'usr/lib/deskbox/board-boot.mjs'), 'utf8'), await readFile(join(DIST, 'board-boot.mjs'), 'utf8'));
  assert.is(await mode(join(root, 'etc/deskbox/password')), 0o600);
  assert.is((await stat(join(root, 'etc/deskbox/password'))).size, 0);
  for (const f of ['etc/deskbox/board.json', 'etc/systemd/system/deskbox-board.service', 'var/lib/deskbox/flash/slot-a.dbi']) assert.is(await mode(join(root, f)), 0o644, f);
  assert.ok((await stat(join(root, 'var/lib/deskbox/images'))).isDirectory());

  const config = await loadBoardConfig(join(root, 'etc/deskbox/board.json'));
  assert.equal([config.desk, config.board, config.broker.url, config.broker.username, config.broker.passwordFile], ['desk1', 'b07', 'mqtt://127.0.0.1:1883', 'b07', '/etc/deskbox/password']);
  assert.equal(config.images!.trustedKeys, [(await readFile(pub, 'utf8')).trim()]);
  assert.is(config.images!.boardType, 'sim', 'the image\'s own board type');
  assert.equal([config.hardware.console, config.hardware.consoleBaud], ['/dev/ttyS1', 115200]);
  assert.equal([config.flash!.dir, config.bootInfo, config.boot!.unpackDir], ['/var/lib/deskbox/flash', '/run/deskbox/boot-info.json', '/run/deskbox/agents']);
  assert.is(config.broker.caFile, undefined);

  const slot = await verifyImageFile(join(root, 'var/lib/deskbox/flash/slot-a.dbi'), { keys: [await loadPublicKey(pub)], boardType: 'sim' });
  assert.ok(slot.ok, slot.error?.message);
  assert.equal(await readBootEnv(join(root, 'var/lib/deskbox/flash/bootenv.json')), { v: 1, active: 'a' });
  const unit = await readFile(join(root, 'etc/systemd/system/deskbox-board.service'), 'utf8');
  assert.match(unit, `ExecStart=${process.execPath} --max-semi-space-size=1 /usr/lib/deskbox/board-boot.mjs --config /etc/deskbox/board.json\n`);
  assert.equal((await readdir(join(root, 'var/lib/deskbox/flash'))).sort(), ['bootenv.json', 'slot-a.dbi'], 'no temporary file left');
});

test('the config loader reads comments and trailing commas, and places a syntax error by line and column', async () => {
  const root = join(work, 'root-jsonc');
  assert.is((await install(root)).code, 0);
  const file = join(root, 'etc/deskbox/board.json');
  const text = await readFile(file, 'utf8');
  await writeFile(file, text.replace('"board": "b07",', '"board": "b07",,'));
  const line = text.slice(0, text.indexOf('"board": "b07"')).split('\n').length;
  try {
    await loadBoardConfig(file);
    assert.unreachable('a stray comma accepted');
  } catch (e) {
    assert.instance(e, ConfigError);
    assert.match((e as Error).message, `board.json: PropertyNameExpected at line ${line}, column 18`);
  }
});

test('systemd-analyze verify accepts the unit without a warning', async () => {
  const root = join(work, 'root-unit');
  assert.is((await install(root)).code, 0);
  const r = await run('systemd-analyze', ['verify', '--man=no', join(root, 'etc/systemd/system/deskbox-board.service')]);
  const ours = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('deskbox'));
  assert.equal(ours, [], 'no message about our unit');
  assert.is(r.code, 0, r.stderr);
});

test('a second run keeps the config and the password; --force replaces the config only', async () => {
  const root = join(work, 'root2');
  assert.is((await install(root)).code, 0);
  const configFile = join(root, 'etc/deskbox/board.json');
  const edited = `${await readFile(configFile, 'utf8')}// edited by hand\n`;
  await writeFile(configFile, edited);
  await writeFile(join(root, 'etc/deskbox/password'), `${PASSWORD}\n`);
  const again = await install(root);
  assert.is(again.code, 0, again.stderr);
  assert.match(again.stdout, /kept\s+\/etc\/deskbox\/board\.json/);
  assert.not.match(again.stdout, PASSWORD);
  assert.not.match(again.stdout, 'broker user add', 'a board with a password needs no new user');
  assert.is(await readFile(configFile, 'utf8'), edited);
  assert.is((await install(root, { force: true })).code, 0);
  assert.not.match(await readFile(configFile, 'utf8'), 'edited by hand');
  assert.is(await readFile(join(root, 'etc/deskbox/password'), 'utf8'), `${PASSWORD}\n`);
});

test('bad input: one line on stderr, exit 1, nothing written', async () => {
  const tampered = join(work, 'tampered.dbi');
  await copyFile(image, tampered);
  const fh = await open(tampered, 'r+');
  const size = (await fh.stat()).size;
  await fh.write(Buffer.from([0x55]), 0, 1, size - 1000);
  await fh.close();
  const stranger = join(work, 'stranger');
  assert.is((await run(process.execPath, [join(DIST, 'deskbox.mjs'), 'keys', 'init', '--state', stranger])).code, 0);
  const cases: [Record<string, string>, RegExp][] = [
    [{ image: tampered }, /tampered\.dbi: (blocks|payload): .*nothing was written/],
    [{ trust: join(stranger, 'keys', 'desk.pub') }, /signature: .*not trusted.*nothing was written/],
    [{ 'board-type': 'beaglebone' }, /board: the image is for board type "sim", this board is "beaglebone"/],
    [{ trust: join(work, 'missing.pub') }, /--trust .*missing\.pub: ENOENT/],
    [{ trust: 'ed25519:AAAA' }, /--trust key: not an Ed25519 public key/],
    [{ broker: 'http://desk:1883' }, /--broker "http:\/\/desk:1883": must be an mqtt/],
    [{ board: '../b07' }, /--board "\.\.\/b07"/],
    [{ ca: pub }, /--ca is for mqtts:\/\/ brokers only/],
    [{ node: 'node' }, /--node "node": must be an absolute path/],
  ];
  for (const [opts, expected] of cases) {
    const root = join(work, 'refused');
    const r = await install(root, opts);
    const what = JSON.stringify(opts);
    assert.is(r.code, 1, what);
    assert.match(r.stderr, expected);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.not.ok(existsSync(root), `nothing written for ${what}`);
  }
  const missing = await run(process.execPath, [join(DIST, 'board-boot.mjs'), 'install', '--image', image]);
  assert.equal([missing.code, missing.stderr], [1, 'deskbox install: --trust is required: the public key of the desk that signs the images (.desk/keys/desk.pub)\n']);
});

test('run from an unpacked payload that carries Node: that Node is installed and runs the unit; --node overrides it', async () => {
  const payload = join(work, 'payload');
  await mkdir(payload);
  const { payload: stream } = await openImageStream(createReadStream(image), { name: image });
  const unpack = extractArchive(payload);
  stream.pipe(unpack.writable);
  await unpack.done;
  // Only its presence and execute bit matter to the installer; a real one is 100 MB.
  await mkdir(join(payload, 'runtime'));
  await writeFile(join(payload, 'runtime', 'node'), '#!/bin/sh\n', { mode: 0o755 });
  const fromPayload = (root: string, opts: string[] = []) => run(process.execPath, [join(payload, 'agent', 'board-boot.mjs'), 'install', '--root', root,
    '--image', image, '--trust', pub, '--board', 'b07', '--desk', 'desk1', '--broker', 'mqtt://127.0.0.1:1883', ...opts]);
  const unitOf = (root: string) => readFile(join(root, 'etc/systemd/system/deskbox-board.service'), 'utf8');
  const carried = join(work, 'root-node');
  assert.is((await fromPayload(carried)).code, 0);
  assert.match(await unitOf(carried), 'ExecStart=/usr/lib/deskbox/node --max-semi-space-size=1 /usr/lib/deskbox/board-boot.mjs');
  assert.is(await mode(join(carried, 'usr/lib/deskbox/node')), 0o755);
  const chosen = join(work, 'root-node-chosen');
  assert.is((await fromPayload(chosen, ['--node', '/opt/node 20/bin/node'])).code, 0);
  assert.match(await unitOf(chosen), 'ExecStart="/opt/node 20/bin/node" --max-semi-space-size=1');
  assert.not.ok(existsSync(join(chosen, 'usr/lib/deskbox/node')));
});

test('--help names every option', async () => {
  const r = await run(process.execPath, [join(DIST, 'board-boot.mjs'), 'install', '--help']);
  assert.is(r.code, 0);
  for (const o of ['image', 'trust', 'board', 'desk', 'broker', 'username', 'password-file', 'ca', 'board-type', 'console', 'node', 'root', 'force', 'help']) assert.match(r.stdout, `--${o} `);
});

const pids = async () => (await readdir('/proc')).filter((p) => /^\d+$/.test(p)).map(Number);

/** Board paths the booted files are mounted on; the ones this test had to create are removed after. */
const MOUNTS = ['/etc/deskbox', '/usr/lib/deskbox', '/var/lib/deskbox', '/run/deskbox'];

test('the installed files boot: online on a desk broker, gone after SIGTERM', async () => {
  const root = join(work, 'root-boot');
  const users = new UserStore([await newUser({ role: 'board', username: 'b07', desk: 'desk1', board: 'b07' }, PASSWORD), await newUser({ role: 'host', username: 'host' }, PASSWORD)]);
  const broker = await createDeskBroker({ users, logger: createLogger('broker', () => undefined), wsPort: null });
  const made: string[] = [];
  let child: ReturnType<typeof spawn> | undefined;
  let agents: number[] = [];
  const watcher = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.tcpPort}`, { username: 'host', password: PASSWORD, protocolVersion: 4 });
  try {
    const r = await install(root, { broker: `mqtt://127.0.0.1:${broker.tcpPort}`, console: '' });
    assert.is(r.code, 0, r.stderr);
    // Hardware that exists here: an ina219 hwmon folder and file-backed GPIO, set as a user edits the file.
    const hwmon = join(work, 'hw', 'hwmon0');
    await mkdir(hwmon, { recursive: true });
    for (const [f, val] of Object.entries({ name: 'ina219', power1_input: 1_500_000, in1_input: 5000, curr1_input: 300 })) await writeFile(join(hwmon, f), `${val}\n`);
    const configFile = join(root, 'etc/deskbox/board.json');
    let text = await readFile(configFile, 'utf8');
    for (const [path, val] of [[['hardware', 'power'], hwmon], [['hardware', 'gpio'], `sim:${join(work, 'hw', 'gpio')}`]] as const) text = applyEdits(text, modify(text, [...path], val, {}));
    await writeFile(configFile, text);
    await writeFile(join(root, 'etc/deskbox/password'), `${PASSWORD}\n`);

    const statuses: { state: string; reason?: string; phases?: { phase: string }[]; image?: { slot: string } }[] = [];
    watcher.on('message', (_t, p) => statuses.push(JSON.parse(p.toString())));
    await watcher.subscribeAsync('deskbox/desk1/boards/b07/status', { qos: 1 });
    for (const m of MOUNTS) if (!existsSync(m)) { await mkdir(m); made.push(m); }
    // The unit's own command line and environment, run where the board paths hold the installed files.
    const unit = await readFile(join(root, 'etc/systemd/system/deskbox-board.service'), 'utf8');
    const exec = unit.match(/^ExecStart=(.*)$/m)![1]!.split(' ');
    const env = Object.fromEntries([...unit.matchAll(/^Environment=(\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
    const mounts = `${MOUNTS.slice(0, 3).map((m) => `mount --bind "$0${m}" ${m}`).join(' && ')} && mount -t tmpfs tmpfs /run/deskbox && exec "$@"`;
    child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', mounts, root, ...exec], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr!.on('data', (d) => (log += d));
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
    const ready = () => statuses.some((s) => s.state === 'online' && s.image?.slot === 'a' && s.phases?.some((p) => p.phase === 'ready'));
    await waitFor(ready, { timeoutMs: 30_000, what: 'b07 online and ready' }).catch((e: Error) => { throw new Error(`${e.message}\n${log}`); });
    agents = (await pids()).filter((pid) => readProcStat(pid)?.ppid === child!.pid);
    assert.is(agents.length, 1, 'one agent under the boot program');
    const namespace = await readlink(`/proc/${child.pid}/ns/mnt`);
    assert.is.not(namespace, await readlink('/proc/self/ns/mnt'));

    child.kill('SIGTERM');
    assert.is(await exited, 0, log);
    await waitFor(() => statuses.at(-1)?.state === 'offline', { timeoutMs: 10_000, what: 'the offline status' });
    assert.is(statuses.at(-1)!.reason, 'shutdown');
    assert.is(readProcStat(agents[0]!), undefined, 'the agent is gone');
    // Its mounts lived only in its namespace, which ends with the last process in it.
    const namespaces = await Promise.all((await pids()).map((pid) => readlink(`/proc/${pid}/ns/mnt`).catch(() => '')));
    assert.not.ok(namespaces.includes(namespace), 'no process left in the boot\'s mount namespace');
  } finally {
    // Only after a failure: nothing of this test may outlive it.
    if (child && child.exitCode === null && child.signalCode === null) for (const pid of [child.pid!, ...agents]) try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    for (const m of made) await rmdir(m);
    await watcher.endAsync();
    await broker.close();
  }
  for (const m of made) assert.not.ok(existsSync(m), `${m} removed`);
});

test.run();
