import { readFile, writeFile } from 'node:fs/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadUsers, newUser, saveUsers, UserStore } from '../../broker/users.ts';
import { provisionDesk, type ProvisionOptions } from '../../host/desk/provision.ts';
import { deskLayout } from '../../host/locations/layout.ts';
import { withTempDir } from '../support/temp-dir.ts';
import { CHEAP_SCRYPT } from '../broker/support.ts';

const options: ProvisionOptions = {
  desk: 'desk1', boards: 3, boardsPerProcess: 3, host: '127.0.0.1', port: 0, wsPort: null, tlsPort: 0, wssPort: null,
  keepaliveS: 4, telemetryPeriodS: 1, restartDelayS: 1, guestRuntime: 'process', maxGuestsPerBoard: 4,
  consoleBaud: 115200, consoleLatencyMs: 0, bootDelayMs: 0, dashboardPort: null,
};

const secretOf = async (file: string) => (await readFile(file, 'utf8')).trim();

test('a fresh desk: every generated secret gets a token hash and logs in with what its file holds', async () => {
  await withTempDir('deskbox-provision-', async (dir) => {
    const layout = deskLayout(dir);
    await provisionDesk(layout, options);
    const users = await loadUsers(layout.usersFile);
    assert.equal(users.list().map((u) => [u.username, u.password.scheme]).sort(), [
      ['b01', 'token-sha256'], ['b02', 'token-sha256'], ['b03', 'token-sha256'], ['homeassistant', 'token-sha256'], ['host', 'token-sha256'], ['monitor', 'token-sha256'],
    ]);
    assert.equal(await users.authenticate('b02', await secretOf(layout.board('b02').passwordFile)), { role: 'board', username: 'b02', desk: 'desk1', board: 'b02' });
    assert.is(await users.authenticate('b02', await secretOf(layout.board('b01').passwordFile)), undefined);
    assert.equal(await users.authenticate('host', await secretOf(layout.credential('host'))), { role: 'host', username: 'host' });
    assert.equal(await users.authenticate('homeassistant', await secretOf(layout.credential('homeassistant'))), { role: 'homeassistant', username: 'homeassistant' });
  });
});

test('an older desk: scrypt entries of generated secrets are re-hashed as tokens, a chosen password keeps scrypt', async () => {
  await withTempDir('deskbox-provision-', async (dir) => {
    const layout = deskLayout(dir);
    await provisionDesk(layout, options);
    const boardSecret = await secretOf(layout.board('b01').passwordFile);
    await writeFile(layout.credential('host'), 'chosen by a person\n');
    const older = new UserStore((await loadUsers(layout.usersFile)).list());
    older.put(await newUser({ role: 'board', username: 'b01', desk: 'desk1', board: 'b01' }, boardSecret, CHEAP_SCRYPT));
    older.put(await newUser({ role: 'host', username: 'host' }, 'chosen by a person', CHEAP_SCRYPT));
    await saveUsers(layout.usersFile, older);

    await provisionDesk(layout, options);
    const users = await loadUsers(layout.usersFile);
    assert.is(users.get('b01')?.password.scheme, 'token-sha256');
    assert.is(await secretOf(layout.board('b01').passwordFile), boardSecret, 'the board keeps its secret');
    assert.ok(await users.authenticate('b01', boardSecret));
    assert.is(users.get('host')?.password.scheme, 'scrypt');
    assert.ok(await users.authenticate('host', 'chosen by a person'));
  });
});

test.run();
