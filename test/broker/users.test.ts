import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  InvalidUserError,
  UserStore,
  UsersFileError,
  loadUsers,
  newGeneratedUser,
  newUser,
  saveUsers,
} from '../../broker/users.ts';
import { WeakSecretError, generateSecret, hashGeneratedSecret, hashPassword, verifyPassword } from '../../broker/passwords.ts';
import { CHEAP_SCRYPT } from './support.ts';
import { withTempDir } from '../support/temp-dir.ts';

const withDir = (fn: (dir: string) => Promise<void>) => withTempDir('deskbox-users-', fn);

test('generated secrets: a token hash verifies the secret only, costs no derivation, and refuses chosen passwords', async () => {
  const secret = generateSecret();
  assert.ok(secret.length >= 22);
  const token = hashGeneratedSecret(secret);
  assert.is(token.scheme, 'token-sha256');
  assert.ok(await verifyPassword(token, secret));
  assert.not.ok(await verifyPassword(token, secret.slice(1)));
  assert.not.ok(await verifyPassword(token, `${secret}x`));
  assert.is.not(hashGeneratedSecret(secret).salt, token.salt);
  assert.throws(() => hashGeneratedSecret('hunter2'), (e: unknown) => e instanceof WeakSecretError);
  assert.throws(() => hashGeneratedSecret('correct horse battery staple'), (e: unknown) => e instanceof WeakSecretError);
  const started = performance.now();
  for (let i = 0; i < 500; i++) await verifyPassword(token, secret);
  // 500 scrypt checks at the default cost take ~25 s of CPU; 500 of these take milliseconds.
  assert.ok(performance.now() - started < 2_000, `500 token checks took ${performance.now() - started} ms`);
});

test('a users file with token and scrypt entries loads, logs both in, and refuses a token of the wrong size', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'users.json');
    const secret = generateSecret();
    const store = new UserStore([
      newGeneratedUser({ role: 'board', username: 'b01', desk: 'd1', board: 'b01' }, secret),
      await newUser({ role: 'host', username: 'host' }, 'chosen', CHEAP_SCRYPT),
    ]);
    await saveUsers(file, store);
    const loaded = await loadUsers(file);
    assert.equal(await loaded.authenticate('b01', secret), { role: 'board', username: 'b01', desk: 'd1', board: 'b01' });
    assert.is(await loaded.authenticate('b01', 'chosen'), undefined);
    assert.equal(await loaded.authenticate('host', 'chosen'), { role: 'host', username: 'host' });
    const doc = JSON.parse(await readFile(file, 'utf8'));
    doc.users[0].password.hash = Buffer.alloc(16).toString('base64');
    await writeFile(file, JSON.stringify(doc));
    try {
      await loadUsers(file);
      assert.unreachable('a short token hash must be refused');
    } catch (err) {
      assert.instance(err, UsersFileError);
      assert.match((err as Error).message, /users\[0\]: "b01": password a token-sha256 hash must be 32 bytes/);
    }
  });
});

test('hash and verify: right password passes, wrong fails, salts differ', async () => {
  const a = await hashPassword('s3cret', CHEAP_SCRYPT);
  const b = await hashPassword('s3cret', CHEAP_SCRYPT);
  assert.is.not(a.salt, b.salt);
  assert.is(a.N, CHEAP_SCRYPT.N);
  assert.ok(await verifyPassword(a, 's3cret'));
  assert.ok(await verifyPassword(a, Buffer.from('s3cret')));
  assert.not.ok(await verifyPassword(a, 's3cret '));
});

test('authenticate returns the principal without the hash', async () => {
  const store = new UserStore([await newUser({ role: 'board', username: 'b01', desk: 'd1', board: 'b01' }, 'pw', CHEAP_SCRYPT)]);
  assert.equal(await store.authenticate('b01', Buffer.from('pw')), { role: 'board', username: 'b01', desk: 'd1', board: 'b01' });
  assert.is(await store.authenticate('b01', 'nope'), undefined);
  assert.is(await store.authenticate('b01', undefined), undefined);
  assert.is(await store.authenticate('ghost', 'pw'), undefined);
  assert.is(await store.authenticate(undefined, undefined), undefined);
});

test('a reconnect storm costs one derivation per board; wrong passwords pay every time; a changed password is checked again', async () => {
  let derivations = 0;
  const verify = async (stored: Parameters<typeof verifyPassword>[0], password: string | Uint8Array) => { derivations++; return verifyPassword(stored, password); };
  const store = new UserStore([await newUser({ role: 'board', username: 'b01', desk: 'd1', board: 'b01' }, 'pw', CHEAP_SCRYPT)], { verify });
  const storm = await Promise.all(Array.from({ length: 20 }, () => store.authenticate('b01', 'pw')));
  assert.ok(storm.every((p) => p?.username === 'b01'));
  assert.ok(await store.authenticate('b01', Buffer.from('pw')), 'a later reconnect');
  assert.is(derivations, 1);
  assert.is(await store.authenticate('b01', 'guess'), undefined);
  assert.is(await store.authenticate('b01', 'guess'), undefined);
  assert.is(derivations, 3);
  store.put(await newUser({ role: 'board', username: 'b01', desk: 'd1', board: 'b01' }, 'new', CHEAP_SCRYPT));
  assert.is(await store.authenticate('b01', 'pw'), undefined, 'the old password no longer passes');
  assert.ok(await store.authenticate('b01', 'new'));
});

test('put adds or replaces in place and refuses invalid entries', async () => {
  const store = new UserStore();
  store.put(await newUser({ role: 'host', username: 'host' }, 'one', CHEAP_SCRYPT));
  store.put(await newUser({ role: 'monitor', username: 'mon' }, 'two', CHEAP_SCRYPT));
  store.put(await newUser({ role: 'host', username: 'host' }, 'three', CHEAP_SCRYPT));
  assert.equal(store.list().map((u) => u.username), ['host', 'mon']);
  assert.ok(await store.authenticate('host', 'three'));
  assert.not.ok(await store.authenticate('host', 'one'));
  const bad = await newUser({ role: 'board', username: 'b9', desk: 'd1', board: 'b/9' }, 'x', CHEAP_SCRYPT);
  assert.throws(() => store.put(bad), (e: unknown) => e instanceof InvalidUserError && /board must be/.test(e.message));
});

test('save writes mode 0600 atomically and loads back', () =>
  withDir(async (dir) => {
    const path = join(dir, 'users.json');
    const store = new UserStore([
      await newUser({ role: 'host', username: 'host' }, 'hpw', CHEAP_SCRYPT),
      await newUser({ role: 'board', username: 'b01', desk: 'd1', board: 'b01' }, 'bpw', CHEAP_SCRYPT),
      await newUser({ role: 'outlet', username: 'relay-rack1' }, 'opw', CHEAP_SCRYPT),
    ]);
    await saveUsers(path, store);
    await saveUsers(path, store);
    assert.is((await stat(path)).mode & 0o777, 0o600);
    assert.equal(await readdir(dir), ['users.json'], 'no temp file left behind');
    const text = await readFile(path, 'utf8');
    assert.not.match(text, 'hpw');
    assert.is(JSON.parse(text).v, 1);
    const loaded = await loadUsers(path);
    assert.equal(loaded.list(), store.list());
    assert.ok(await loaded.authenticate('b01', 'bpw'));
    assert.equal(await loaded.authenticate('relay-rack1', 'opw'), { role: 'outlet', username: 'relay-rack1' });
  }));

test('malformed files: which entry, what is wrong', () =>
  withDir(async (dir) => {
    const good = await newUser({ role: 'host', username: 'host' }, 'pw', CHEAP_SCRYPT);
    const cases: [content: string, entry: number | undefined, problem: RegExp][] = [
      ['{', undefined, /not JSON/],
      ['[]', undefined, /expected an object/],
      ['{"v":2,"users":[]}', undefined, /unsupported version 2/],
      ['{"v":1}', undefined, /"users" must be an array/],
      [JSON.stringify({ v: 1, users: [good, 7] }), 1, /expected an object/],
      [JSON.stringify({ v: 1, users: [{ ...good, role: 'admin' }] }), 0, /"host": role must be one of board, host, monitor, homeassistant, outlet/],
      [JSON.stringify({ v: 1, users: [{ ...good, username: '' }] }), 0, /username must be/],
      [JSON.stringify({ v: 1, users: [good, good] }), 1, /duplicate username "host"/],
      [JSON.stringify({ v: 1, users: [{ ...good, role: 'board' }] }), 0, /desk must be a desk\/board id/],
      [JSON.stringify({ v: 1, users: [{ ...good, role: 'board', desk: 'd1', board: '+' }] }), 0, /board must be/],
      [JSON.stringify({ v: 1, users: [{ ...good, desk: 'd1' }] }), 0, /unexpected field\(s\) desk for role host/],
      [JSON.stringify({ v: 1, users: [{ ...good, password: 'plain' }] }), 0, /password must be an object/],
      [JSON.stringify({ v: 1, users: [{ ...good, password: { ...good.password, scheme: 'md5' } }] }), 0, /scheme must be "scrypt"/],
      [JSON.stringify({ v: 1, users: [{ ...good, password: { ...good.password, N: 3000 } }] }), 0, /N must be a power of two/],
      [JSON.stringify({ v: 1, users: [{ ...good, password: { ...good.password, N: 1 << 24 } }] }), 0, /N must be an integer in/],
      [JSON.stringify({ v: 1, users: [{ ...good, password: { ...good.password, salt: '!!' } }] }), 0, /salt must be base64/],
      [JSON.stringify({ v: 1, users: [{ ...good, password: { ...good.password, keylen: 16 } }] }), 0, /hash length does not match keylen/],
    ];
    const path = join(dir, 'users.json');
    for (const [content, entry, problem] of cases) {
      await writeFile(path, content);
      const err = await loadUsers(path).then(() => undefined, (e: unknown) => e);
      assert.instance(err, UsersFileError, content);
      const e = err as UsersFileError;
      assert.is(e.path, path);
      assert.is(e.entry, entry, content);
      assert.match(e.message, problem);
      assert.not.match(e.message, good.password.hash, 'hashes stay out of messages');
    }
    const missing = await loadUsers(join(dir, 'none.json')).then(() => undefined, (e: unknown) => e);
    assert.instance(missing, UsersFileError);
    assert.match((missing as Error).message, /cannot read/);
  }));

test.run();
