/**
 * What in a desk's state folder holds secrets or messages, made owner-only (0700 folders, 0600
 * files): the credentials, the broker's users and store (its -wal and -shm follow the store's
 * mode: broker/persistence/sqlite-schema.ts), the signing key, each board's folder (its password
 * and console log), and the logs, which hold topics, client ids and what boards print.
 *
 * Files are created 0600 where they are written; this makes the folders private before anything
 * is written into them, narrows files an older desk left with wider modes, and creates the logs
 * that other processes open for appending (appending keeps the mode a file already has).
 */
import { dirname } from 'node:path';
import { ensurePrivateDir, ensurePrivateFile, restrictFileSync } from '../../platform/private-files.ts';
import type { DeskLayout } from '../locations/layout.ts';

/** The folders; before provisioning writes into them. */
export async function makePrivateFolders(layout: DeskLayout, boards: readonly string[]): Promise<void> {
  const folders = [
    dirname(layout.credential('host')),
    dirname(layout.usersFile),
    layout.keysDir,
    layout.tls.dir,
    layout.logsDir,
    ...boards.map((b) => layout.board(b).dir),
  ];
  await Promise.all(folders.map(ensurePrivateDir));
}

/** The files; once provisioning wrote them. */
export async function makePrivateFiles(layout: DeskLayout, boards: readonly string[]): Promise<void> {
  await Promise.all([layout.supervisorLog, layout.brokerLog, ...boards.map((b) => layout.board(b).consoleLog)].map(ensurePrivateFile));
  const secrets = [
    layout.credential('host'),
    layout.credential('monitor'),
    layout.credential('homeassistant'),
    layout.usersFile,
    layout.privateKey,
    layout.tls.caKey,
    layout.tls.serverKey,
    ...boards.map((b) => layout.board(b).passwordFile),
  ];
  for (const file of secrets) restrictFileSync(file);
}
