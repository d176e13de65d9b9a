/** `deskbox image build guest|board`, `image inspect`, `image verify`: .dbi files (docs/images.md). */
import { Option, type Command } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_VERSION } from '../../board/version.ts';
import { levelFromEnv, stderrLogger } from '../../platform/log.ts';
import { packageRoot } from '../locations/package-paths.ts';
import { ARCHES, hostArch, type Manifest } from '../../images/format/manifest.ts';
import { buildGuestImage } from '../../images/build-guest.ts';
import { buildBoardImage, readDefaults } from '../../images/build-board.ts';
import { armhfCacheDir } from '../../images/toolchain/armhf.ts';
import { unpackImageFile } from '../../images/unpack-file.ts';
import { verifyImageFile, type Verdict } from '../../images/verify-file.ts';
import type { WrittenImage } from '../../images/write-image.ts';
import { stateOption } from './options.ts';
import { action, printJson } from './run.ts';
import { signingKey, trustedKeys } from './keys.ts';

const bytes = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MiB (${n} bytes)` : `${n} bytes`);
const collect = (value: string, previous: string[] = []) => [...previous, value];
const what = (m: Manifest) => `${m.kind} ${m.name} ${m.version} (${m.arch})`;
const emptyBlocks = (m: Manifest) => m.blocks.hashes.filter((h) => h === null).length;

/**
 * The board agent that ships with this CLI: next to the bundle (dist/deskbox.mjs), or, from
 * source, the one `npm run build` wrote, whose version comes from package.json as the bundler's does.
 */
function defaultAgent(): { file: string; bootProgram: string; version: string } {
  if (import.meta.url.endsWith('.mjs')) return { file: fileURLToPath(new URL('./board.mjs', import.meta.url)), bootProgram: fileURLToPath(new URL('./board-boot.mjs', import.meta.url)), version: AGENT_VERSION };
  const root = packageRoot();
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  return { file: join(root, 'dist', 'board.mjs'), bootProgram: join(root, 'dist', 'board-boot.mjs'), version: AGENT_VERSION === 'dev' ? pkg.version : AGENT_VERSION };
}

function manifestLines(m: Manifest): string[] {
  const lines = [
    `  created   ${m.created}`,
    `  key       ${m.keyId ?? 'none (unsigned: boards refuse it)'}`,
    `  payload   ${bytes(m.payload.size)}, ${m.payload.entries} entries, unpacks to ${bytes(m.payload.unpackedBytes)}`,
    `            sha256 ${m.payload.sha256}`,
    `  blocks    ${m.blocks.hashes.length} of 64 KiB (${emptyBlocks(m)} empty)`,
  ];
  if (m.board) {
    const b = m.board;
    lines.push(`  board     type ${b.type}, agent ${b.agent.path} ${b.agent.version}, config ${b.config ?? 'none (agent defaults)'}`);
    for (const g of b.guests) lines.push(`  carries   ${g.name} ${g.version} (${g.arch}) ${bytes(g.size)}, payload ${g.sha256.slice(0, 16)}`);
  }
  return lines;
}

function reportBuilt(o: { json?: boolean }, w: WrittenImage & { ms: number }): void {
  if (o.json) return printJson({ ok: true, file: w.file, bytes: w.bytes, ms: Math.round(w.ms), manifest: w.manifest });
  process.stdout.write([`built ${w.file}: ${what(w.manifest)}`, `  file      ${bytes(w.bytes)}`, ...manifestLines(w.manifest), `  time      ${Math.round(w.ms)} ms`, ''].join('\n'));
}

/** Every check, with a missing or unreadable file named as such rather than as a bare errno. */
async function verdictOf(file: string, opts: Parameters<typeof verifyImageFile>[1] = {}): Promise<Verdict> {
  return verifyImageFile(file, opts).catch((e: NodeJS.ErrnoException) => {
    throw new Error(`${file}: ${e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a folder, not an image' : e.message}`);
  });
}

/** What a failed verdict says: one line naming the check, on stderr, and exit code 1. */
function reportFailure(v: Verdict): void {
  process.stderr.write(`FAILED ${v.error!.message.startsWith(v.file) ? '' : `${v.file}: `}${v.error!.message}\n`);
  process.exitCode = 1;
}

function buildCommand(parent: Command, name: string, description: string, versionHelp: string): Command {
  return stateOption(parent.command(name))
    .description(description)
    .requiredOption('-o, --out <file>', 'the .dbi file to write')
    .option('--version <v>', versionHelp)
    .option('--key <desk.key>', 'private key to sign with (default: <state>/keys/desk.key)')
    .option('--unsigned', 'write an unsigned image (boards refuse it; for tests and inspection)')
    .option('--json', 'print JSON');
}

export function registerImage(program: Command): Command {
  const image = program.command('image').description('build, inspect and verify deskbox images (.dbi)');
  const build = image.command('build').description('build a guest or board image');
  const logger = () => stderrLogger('image', process.env.DESKBOX_LOG ? levelFromEnv() : 'warn');

  buildCommand(build, 'guest', 'pack a root filesystem (or one static busybox) into a guest image', 'image version (default for --busybox: its own)')
    .option('--rootfs <dir>', 'root filesystem folder to pack')
    .option('--busybox <path>', 'a static busybox to make the rootfs from')
    .option('--name <name>', 'image name (default for --busybox: busybox)')
    .addOption(new Option('--arch <arch>', 'CPU of the programs inside (default: read from them)').choices(ARCHES))
    .action(action(async (o) => {
      const key = await signingKey(o);
      reportBuilt(o, await buildGuestImage({ out: o.out, rootfs: o.rootfs, busybox: o.busybox, name: o.name, version: o.version, arch: o.arch, key, logger: logger() }));
    }));

  buildCommand(build, 'board', 'pack the board agent, its defaults and guest images into a board image', 'image version (default: the agent\'s)')
    .option('--agent <board.mjs>', 'agent bundle (default: the one built with this CLI)')
    .option('--agent-version <v>', 'version of that agent (required with --agent)')
    .option('--config <defaults.json>', 'board defaults for every board of the image')
    .option('--guest <file.dbi>', 'a guest image the board carries (repeatable)', collect)
    .option('--type <type>', 'board type the image is for', 'sim')
    .option('--name <name>', 'image name', 'board')
    .addOption(new Option('--arch <arch>', 'CPU of the boards (default: this machine\'s)').choices(ARCHES))
    .option('--with-node', 'also carry a Node runtime, for boards without one (armv7: Node 20.11.0 armv7l)')
    .option('--armhf <dir>', 'armhf builds for --arch armv7 (default: .cache/armhf, from scripts/fetch-armhf.sh)')
    .action(action(async (o) => {
      if (o.agent && !o.agentVersion) throw new Error('--agent needs --agent-version <v> (the version that agent reports)');
      const builtIn = defaultAgent();
      const agent = o.agent ? { file: o.agent as string, version: o.agentVersion as string } : builtIn;
      const root = packageRoot();
      const key = await signingKey(o);
      const defaults = o.config ? await readDefaults(o.config) : undefined;
      reportBuilt(o, await buildBoardImage({
        out: o.out, agent: agent.file, agentVersion: o.agentVersion ?? agent.version, defaults, guests: o.guest ?? [],
        bootProgram: builtIn.bootProgram, runtime: { root, armhf: o.armhf ?? armhfCacheDir(root), withNode: Boolean(o.withNode) },
        type: o.type, name: o.name, version: o.version ?? o.agentVersion ?? agent.version, arch: o.arch ?? hostArch(), key,
      }));
    }));

  image.command('inspect')
    .description('show an image\'s manifest and check its integrity (the signature is not checked)')
    .argument('<file>', 'the .dbi file')
    .option('--json', 'print the verdict, manifest included, as JSON')
    .action(action(async (file: string, o: { json?: boolean }) => {
      const verdict = await verdictOf(file);
      if (o.json) {
        printJson(verdict);
        if (!verdict.ok) process.exitCode = 1;
        return;
      }
      const m = verdict.manifest;
      if (m) process.stdout.write([`${file}: ${what(m)}`, ...manifestLines(m), ''].join('\n'));
      if (verdict.ok) process.stdout.write('  verdict   integrity OK; signature not checked (use `image verify`)\n');
      else reportFailure(verdict);
    }));

  stateOption(image.command('verify'))
    .description('run every check of an image (docs/images.md), signature included; exit 1 if one fails')
    .argument('<file>', 'the .dbi file')
    .option('--key <key>', 'trusted public key: a desk.pub file or "ed25519:..." (repeatable; default: <state>/keys/desk.pub)', collect)
    .option('--board-type <type>', 'refuse a board image for another board type')
    .option('--json', 'print the verdict as JSON')
    .action(action(async (file: string, o) => {
      const keys = await trustedKeys(o);
      const verdict = await verdictOf(file, { keys, boardType: o.boardType });
      if (o.json) {
        printJson(verdict);
        if (!verdict.ok) process.exitCode = 1;
        return;
      }
      if (!verdict.ok) return reportFailure(verdict);
      const m = verdict.manifest!;
      const signed = verdict.signer ? `signed by ${verdict.signer}` : `signature NOT checked (no key given and no desk.pub; the image claims key ${m.keyId ?? 'none: unsigned'})`;
      process.stdout.write(`OK ${file}: ${what(m)}, ${signed}\n`);
    }));

  stateOption(image.command('unpack'))
    .description('unpack an image\'s payload into a new folder, every block checked (a board image: its agent, boot program and installer)')
    .argument('<file>', 'the .dbi file')
    .requiredOption('-o, --out <dir>', 'the folder to create')
    .option('--key <key>', 'also check the signature with this public key (repeatable)', collect)
    .option('--json', 'print the manifest and the folder as JSON')
    .action(action(async (file: string, o) => {
      const keys = o.key ? await trustedKeys(o) : undefined;
      const { manifest, signer } = await unpackImageFile(file, o.out, { keys });
      if (o.json) return printJson({ ok: true, dir: o.out, signer, manifest });
      process.stdout.write(`unpacked ${file}: ${what(manifest)} into ${o.out}${signer ? `, signed by ${signer}` : ' (signature not checked: give --key)'}\n`);
      if (manifest.board) process.stdout.write(`  on a board: node ${o.out}/agent/board-boot.mjs install --help\n`);
    }));

  return image;
}
