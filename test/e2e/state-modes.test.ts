/**
 * A simulated desk's state folder, after `desk up` through the built CLI (npm run build first)
 * under umask 000: everything that holds secrets or messages (the TLS keys too) is owner-only,
 * 0700 folders and 0600 files, whatever the umask would have given.
 *   node --import tsx node_modules/uvu/bin.js test "e2e/state-modes"
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withDesk } from '../support/desk.ts';

const BOARDS = ['b01', 'b02'];

/** Every path under `root` (relative) with its permission bits, symlinks not followed. */
async function modes(root: string): Promise<Map<string, { dir: boolean; mode: number }>> {
  const found = new Map<string, { dir: boolean; mode: number }>();
  for (const entry of await readdir(root, { recursive: true })) {
    const s = await lstat(join(root, entry)).catch(() => undefined); // gone meanwhile (a temp file)
    if (s && !s.isSymbolicLink()) found.set(entry, { dir: s.isDirectory(), mode: s.mode & 0o777 });
  }
  return found;
}

test('desk up under umask 000: secrets, stores and logs are 0600, their folders 0700', () => withDesk('deskbox-e2e-modes-', async (desk) => {
  const state = desk.state;
  const umask = process.umask(0);
  try {
    // The CLI, its supervisor, broker and boards inherit the umask.
    await desk.up({ boards: BOARDS.length, timeoutMs: 120_000 });
    process.umask(umask);
    const found = await modes(state);
    const wrong: string[] = [];
    const expect = (path: string, mode: number) => {
      const got = found.get(path);
      if (!got) wrong.push(`${path}: missing`);
      else if (got.mode !== mode) wrong.push(`${path}: ${got.mode.toString(8)}, expected ${mode.toString(8)}`);
    };

    for (const dir of ['credentials', 'broker', 'keys', 'tls', 'logs', ...BOARDS.map((b) => `boards/${b}`)]) expect(dir, 0o700);
    for (const file of [
      'credentials/host.password', 'credentials/monitor.password', 'broker/users.json', 'broker/store.db',
      'keys/desk.key', 'tls/ca.key', 'tls/server.key', 'supervisor.log', 'logs/broker.log',
      ...BOARDS.flatMap((b) => [`boards/${b}/password`, `boards/${b}/console.log`]),
    ]) expect(file, 0o600);
    // Whatever else is in them: the store's -wal/-shm (present while the broker runs), every
    // agent's log, any credential.
    const under = (prefix: string) => [...found].filter(([p, e]) => !e.dir && p.startsWith(prefix));
    for (const [path] of [...under('logs/'), ...under('credentials/'), ...under('broker/store.db'), ...under('tls/').filter(([p]) => p.endsWith('.key'))]) expect(path, 0o600);
    // The certificates are public (what clients verify the broker with), behind the 0700 folder.
    for (const cert of ['tls/ca.pem', 'tls/server.pem']) expect(cert, 0o644);
    assert.ok(under('broker/store.db-').length > 0, 'the running broker has its -wal and -shm');
    assert.ok(under('logs/agent-').length > 0, 'the boards have their logs');

    assert.equal(wrong, [], `state folder modes:\n${wrong.join('\n')}`);
    console.log(`  ${found.size} paths checked; ${[...found].filter(([, e]) => e.mode === 0o600 || e.mode === 0o700).length} owner-only`);
  } finally {
    process.umask(umask);
  }
}));

test.run();
