/**
 * The installer's writes, under `--root`. Each file is complete or absent (write -> fsync ->
 * rename), so an install cut short by a power loss is simply run again.
 */
import { randomBytes } from 'node:crypto';
import { access, chmod, copyFile, mkdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { renameIntoPlace, writeFileAtomic } from '../../platform/atomic-file.ts';
import { openFlashSlots } from '../flash/slots.ts';
import { AGENT_NODE_FLAGS } from '../launch/node-flags.ts';
import { BOARD_PATHS } from './board-paths.ts';
import { exampleConfig } from './example-config.ts';
import { systemdUnit } from './systemd-unit.ts';
import type { InstallInputs } from './install-inputs.ts';
import type { InstallOptions } from './install-options.ts';

export interface Written {
  /** As the board sees it. */
  path: string;
  action: 'wrote' | 'kept' | 'made';
  note: string;
}

/** A complete copy beside `dest` under a temporary name, for the caller to rename over it. */
async function stageCopy(from: string, dest: string, mode: number): Promise<string> {
  await mkdir(dirname(dest), { recursive: true });
  const tmp = join(dirname(dest), `.${basename(dest)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await copyFile(from, tmp);
    await chmod(tmp, mode);
    return tmp;
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

async function copyFileAtomic(from: string, dest: string, mode: number): Promise<void> {
  await renameIntoPlace(await stageCopy(from, dest, mode), dest);
}

const exists = (path: string) => access(path).then(() => true, () => false);

/** `passwordMissing`: the password file is empty, the user still has to fill it. */
export async function writeInstall(opts: InstallOptions, inputs: InstallInputs): Promise<{ written: Written[]; passwordMissing: boolean }> {
  const at = (path: string) => join(opts.root, path);
  const out: Written[] = [];
  await copyFileAtomic(inputs.bootProgram, at(BOARD_PATHS.bootProgram), 0o644);
  out.push({ path: BOARD_PATHS.bootProgram, action: 'wrote', note: 'the boot program' });
  if (inputs.node.copyFrom) {
    await copyFileAtomic(inputs.node.copyFrom, at(inputs.node.path), 0o755);
    out.push({ path: inputs.node.path, action: 'wrote', note: 'the Node runtime the image carries' });
  }

  // Copied, never linked as the simulated desk does: a later scp over the user's file must not change the slot.
  const slots = openFlashSlots(at(BOARD_PATHS.flashDir));
  const staged = await stageCopy(opts.image, slots.slotFile('a'), 0o644);
  await slots.adopt('a', staged).catch(async (e: Error) => { await rm(staged, { force: true }); throw e; });
  await slots.writeEnv({ v: 1, active: 'a' });
  const m = inputs.manifest;
  out.push({ path: join(BOARD_PATHS.flashDir, 'slot-a.dbi'), action: 'wrote', note: `${m.name} ${m.version} (${m.arch}, board type ${inputs.boardType}), signed by ${m.keyId}` });
  out.push({ path: join(BOARD_PATHS.flashDir, 'bootenv.json'), action: 'wrote', note: 'boots slot a' });
  await mkdir(at(BOARD_PATHS.imageStore), { recursive: true });
  out.push({ path: `${BOARD_PATHS.imageStore}/`, action: 'made', note: 'the guest image store' });

  if (inputs.caPem) {
    await writeFileAtomic(at(BOARD_PATHS.caFile), inputs.caPem, { durable: true, mode: 0o644 });
    out.push({ path: BOARD_PATHS.caFile, action: 'wrote', note: 'the broker\'s CA' });
  }
  if (!opts.force && await exists(at(BOARD_PATHS.config))) {
    out.push({ path: BOARD_PATHS.config, action: 'kept', note: 'it exists; --force replaces it' });
  } else {
    const config = exampleConfig({
      desk: opts.desk, board: opts.board, brokerUrl: opts.broker, username: opts.username, passwordFile: opts.passwordFile,
      ...(inputs.caPem ? { caFile: BOARD_PATHS.caFile } : {}), trustedKeys: [...new Set(inputs.keys.map((k) => k.text))],
      boardType: inputs.boardType, console: opts.console,
    });
    await writeFileAtomic(at(BOARD_PATHS.config), config, { durable: true, mode: 0o644 });
    out.push({ path: BOARD_PATHS.config, action: 'wrote', note: 'the config, every field explained' });
  }
  // Never read, never printed: only its existence and mode matter here.
  const password = await stat(at(opts.passwordFile)).catch(() => undefined);
  if (password) {
    const note = password.size === 0 ? 'empty: the board\'s broker password goes here' : password.mode & 0o077 ? 'others can read it: chmod 600 it' : 'mode 0600';
    out.push({ path: opts.passwordFile, action: 'kept', note });
  } else {
    await writeFileAtomic(at(opts.passwordFile), '', { durable: true, mode: 0o600 });
    out.push({ path: opts.passwordFile, action: 'made', note: 'empty, mode 0600: the board\'s broker password goes here' });
  }
  const unit = systemdUnit({ node: inputs.node.path, nodeFlags: AGENT_NODE_FLAGS, bootProgram: BOARD_PATHS.bootProgram, config: BOARD_PATHS.config });
  await writeFileAtomic(at(BOARD_PATHS.unit), unit, { durable: true, mode: 0o644 });
  out.push({ path: BOARD_PATHS.unit, action: 'wrote', note: `runs ${inputs.node.path} ${BOARD_PATHS.bootProgram}` });
  return { written: out, passwordMissing: !password || password.size === 0 };
}
