/**
 * UserStore.isVerified: what the login throttle asks to let a known board back in through a
 * throttled address. True only for exact credentials that passed a check, until the user changes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UserStore, newUser } from '../../broker/users.ts';
import { CHEAP_SCRYPT } from './support.ts';

test('only credentials that passed a check are verified, until the user is replaced', async () => {
  const b01 = { role: 'board', username: 'b01', desk: 'd1', board: 'b01' } as const;
  const store = new UserStore([await newUser(b01, 'right', CHEAP_SCRYPT)]);
  assert.is(store.isVerified('b01', 'right'), false, 'not before a check');
  assert.ok(await store.authenticate('b01', 'right'));
  assert.is(store.isVerified('b01', 'right'), true);
  assert.is(await store.authenticate('b01', 'wrong'), undefined);
  assert.is(store.isVerified('b01', 'wrong'), false);
  assert.is(store.isVerified('b02', 'right'), false, 'another user name');
  assert.is(store.isVerified(undefined, undefined), false);
  store.put(await newUser(b01, 'new', CHEAP_SCRYPT));
  assert.is(store.isVerified('b01', 'right'), false, 'a replaced user starts over');
});

test.run();
