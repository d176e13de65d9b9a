/**
 * Keys and images as a user drives them through the built CLI: a key pair, a busybox guest
 * image, a board image carrying it, then inspect and verify, good and damaged.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { copyFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runDeskbox } from '../support/deskbox.ts';
import { withTempDir } from '../support/temp-dir.ts';

interface Run { code: number; stdout: string; stderr: string }

/** Runs dist/deskbox.mjs and keeps the exit code: the failures are what this test is about. */
async function deskbox(...args: string[]): Promise<Run> {
  const r = await runDeskbox(args, { timeoutMs: 60_000 });
  return { code: r.code ?? -1, stdout: r.stdout, stderr: r.stderr };
}

async function ok(...args: string[]): Promise<string> {
  const r = await deskbox(...args);
  assert.is(r.code, 0, `deskbox ${args.join(' ')}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

const mode = async (file: string) => (await stat(file)).mode & 0o777;

test('keys, a busybox guest image and a board image: build, inspect, verify, refuse', async () => {
  assert.ok(existsSync('/bin/busybox'), 'this test needs a static /bin/busybox (Debian: busybox-static)');
  await withTempDir('deskbox-e2e-image-', async (dir) => {
    // The default key folder is <state>/keys, so --state finds what --dir wrote.
    const keys = JSON.parse(await ok('keys', 'init', '--dir', join(dir, 'keys'), '--json'));
    assert.match(keys.publicKey, /^ed25519:[A-Za-z0-9+/]{43}=$/);
    assert.not.match(JSON.stringify(keys), 'PRIVATE');
    assert.is(await mode(join(dir, 'keys/desk.key')), 0o600);
    assert.is(await mode(join(dir, 'keys/desk.pub')), 0o644);
    assert.is(await readFile(join(dir, 'keys/desk.pub'), 'utf8'), `${keys.publicKey}\n`);
    const again = await deskbox('keys', 'init', '--dir', join(dir, 'keys'));
    assert.is(again.code, 1);
    assert.match(again.stderr, /already exists.*--force/);
    assert.is(JSON.parse(await ok('keys', 'show', '--state', dir, '--json')).id, keys.id);

    const unsigned = await deskbox('image', 'build', 'guest', '--busybox', '/bin/busybox', '-o', join(dir, 'x.dbi'), '--state', join(dir, 'nowhere'));
    assert.is(unsigned.code, 1);
    assert.match(unsigned.stderr, /no signing key: run `.*keys init`/);
    assert.not.ok(existsSync(join(dir, 'x.dbi')));

    const guestFile = join(dir, 'busybox.dbi');
    const guest = JSON.parse(await ok('image', 'build', 'guest', '--busybox', '/bin/busybox', '-o', guestFile, '--state', dir, '--json'));
    assert.equal([guest.manifest.kind, guest.manifest.name, guest.manifest.keyId], ['guest', 'busybox', keys.id]);
    assert.is(guest.bytes, (await stat(guestFile)).size);

    const boardFile = join(dir, 'board.dbi');
    const built = await ok('image', 'build', 'board', '-o', boardFile, '--guest', guestFile, '--key', join(dir, 'keys/desk.key'));
    assert.match(built, `built ${boardFile}: board board `);
    assert.match(built, /carries {3}busybox /);
    assert.match(built, `key       ${keys.id}`);

    const inspect = await ok('image', 'inspect', boardFile);
    assert.match(inspect, /board {5}type sim, agent agent\/board\.mjs /);
    assert.match(inspect, /integrity OK; signature not checked/);

    assert.match(await ok('image', 'verify', boardFile, '--key', join(dir, 'keys/desk.pub')), new RegExp(`^OK ${boardFile}: board board \\S+ \\(\\w+\\), signed by ${keys.id}\\n$`));
    assert.match(await ok('image', 'verify', guestFile, '--state', dir), `signed by ${keys.id}`);
    assert.match(await ok('image', 'verify', guestFile, '--state', join(dir, 'nowhere')), 'signature NOT checked');
    const verdict = JSON.parse(await ok('image', 'verify', boardFile, '--key', keys.publicKey, '--board-type', 'sim', '--json'));
    assert.equal([verdict.ok, verdict.signer, verdict.carried.map((c: { name: string }) => c.name)], [true, keys.id, ['busybox']]);

    const other = JSON.parse(await ok('keys', 'init', '--dir', join(dir, 'other'), '--json'));
    const wrongKey = await deskbox('image', 'verify', boardFile, '--key', other.publicKey);
    assert.is(wrongKey.code, 1);
    assert.match(wrongKey.stderr, new RegExp(`^FAILED ${boardFile}: signature: signed by key ${keys.id}, which is not trusted`));

    const damaged = join(dir, 'damaged.dbi');
    await copyFile(guestFile, damaged);
    const bytes = await readFile(damaged);
    bytes[bytes.length - 100_000]! ^= 0x01;
    await writeFile(damaged, bytes);
    const flipped = await deskbox('image', 'verify', damaged, '--state', dir);
    assert.is(flipped.code, 1);
    assert.match(flipped.stderr, new RegExp(`^FAILED ${damaged}: blocks: block \\d+ `));
    const flippedJson = await deskbox('image', 'verify', damaged, '--state', dir, '--json');
    assert.is(flippedJson.code, 1);
    assert.is(JSON.parse(flippedJson.stdout).error.check, 'blocks');
    assert.is((await deskbox('image', 'inspect', damaged)).code, 1);

    assert.match(await ok('image', '--help'), /build.*\n.*inspect.*\n.*verify/s);
  });
});

test('a number option given something else: one usage line naming the option, no stack trace', async () => {
  for (const args of [['desk', 'up', '--boards', '1', '--ws-port', 'none'], ['dashboard', '--port', 'x']]) {
    const r = await deskbox(...args);
    assert.is(r.code, 2, `a usage error: ${args.join(' ')}`);
    assert.match(r.stderr, /^error: option '--(ws-)?port <port>' argument '(none|x)' is invalid\. /);
    assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test.run();
