/**
 * `deskbox keys init|show`: the desk's image signing key pair (docs/images.md, "Signatures
 * and keys"), plus the default key paths `deskbox image` falls back to.
 */
import type { Command } from 'commander';
import { createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../../platform/atomic-file.ts';
import { generateKeys, loadPrivateKey, loadPublicKey, parsePublicKey, type PrivateKey, type PublicKey } from '../../images/format/keys.ts';
import { stateOption } from './options.ts';
import { action, invokedAs, printJson } from './run.ts';

export interface KeyFiles { dir: string; keyFile: string; pubFile: string }

export function keyFiles(opts: { state: string; dir?: string }): KeyFiles {
  const dir = resolve(opts.dir ?? join(opts.state, 'keys'));
  return { dir, keyFile: join(dir, 'desk.key'), pubFile: join(dir, 'desk.pub') };
}

/** The public half, from the private key: desk.pub is a copy that could be lost or stale. */
export function publicOf(key: PrivateKey): PublicKey {
  return parsePublicKey(createPublicKey(key.key).export({ format: 'pem', type: 'spki' }).toString());
}

/**
 * The key an image build signs with: `--key`, else the desk's own if `keys init` made one.
 * Without either the build is refused unless asked for unsigned, because boards refuse
 * unsigned images and finding out at flash time is too late.
 */
export async function signingKey(o: { state: string; key?: string; unsigned?: boolean }): Promise<PrivateKey | undefined> {
  if (o.key && o.unsigned) throw new Error('give --key or --unsigned, not both');
  if (o.unsigned) return undefined;
  if (o.key) return loadPrivateKey(o.key);
  const { keyFile } = keyFiles(o);
  if (existsSync(keyFile)) return loadPrivateKey(keyFile);
  throw new Error(`no signing key: run \`${invokedAs()} keys init\` to create ${keyFile} (or give --key <desk.key>, or --unsigned for an image boards will refuse)`);
}

/** Trusted keys for `image verify`: each `--key` is a key file or an inline `ed25519:...`; else the desk's desk.pub. */
export async function trustedKeys(o: { state: string; key?: string[] }): Promise<PublicKey[] | undefined> {
  if (o.key && o.key.length > 0) {
    return Promise.all(o.key.map((k) => (k.trim().startsWith('ed25519:') ? parsePublicKey(k, '--key') : loadPublicKey(k))));
  }
  const { pubFile } = keyFiles(o);
  return existsSync(pubFile) ? [await loadPublicKey(pubFile)] : undefined;
}

interface KeysOptions { state: string; dir?: string; force?: boolean; json?: boolean }

function print(o: KeysOptions, files: KeyFiles, pub: PublicKey, verb: string): void {
  if (o.json) return printJson({ ok: true, id: pub.id, publicKey: pub.text, keyFile: files.keyFile, pubFile: files.pubFile });
  process.stdout.write([
    `${verb} key ${pub.id}`,
    `  private  ${files.keyFile}  (keep it secret; it signs images your boards trust)`,
    `  public   ${files.pubFile}`,
    `  ${pub.text}`,
    '',
  ].join('\n'));
}

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('the desk\'s Ed25519 key pair that signs images');
  const dirOption = (cmd: Command) => stateOption(cmd).option('--dir <dir>', 'folder of desk.key and desk.pub (default: <state>/keys)');

  dirOption(keys.command('init'))
    .description('create desk.key (private, mode 0600) and desk.pub (public, one line)')
    .option('--force', 'replace an existing key pair (images signed with the old key stop verifying)')
    .option('--json', 'print JSON')
    .action(action(async (o: KeysOptions) => {
      const files = keyFiles(o);
      if (existsSync(files.keyFile) && !o.force) {
        throw new Error(`${files.keyFile} already exists; boards may trust it. Use --force to replace it (images signed with it will no longer verify against the new key)`);
      }
      const { privatePem, publicKey } = generateKeys();
      await mkdir(files.dir, { recursive: true, mode: 0o700 });
      // The key first: a crash before desk.pub is written still leaves a usable pair (show derives it).
      await writeFileAtomic(files.keyFile, privatePem, { durable: true, mode: 0o600 });
      await writeFileAtomic(files.pubFile, `${publicKey.text}\n`, { durable: true, mode: 0o644 });
      // The umask may have narrowed the public file; it is meant to be copied around.
      await chmod(files.pubFile, 0o644);
      print(o, files, publicKey, 'created');
    }));

  dirOption(keys.command('show'))
    .description('print the key id and the public key line to put in boards\' images.trustedKeys')
    .option('--json', 'print JSON')
    .action(action(async (o: KeysOptions) => {
      const files = keyFiles(o);
      const hasKey = existsSync(files.keyFile);
      if (!hasKey && !existsSync(files.pubFile)) throw new Error(`no key in ${files.dir}: run \`${invokedAs()} keys init\` first`);
      const pub = hasKey ? publicOf(await loadPrivateKey(files.keyFile)) : await loadPublicKey(files.pubFile);
      if (hasKey && existsSync(files.pubFile) && (await loadPublicKey(files.pubFile)).id !== pub.id) {
        throw new Error(`${files.pubFile} does not match ${files.keyFile} (key ${pub.id}); run \`${invokedAs()} keys init --force\` or restore the pair`);
      }
      print(o, files, pub, 'desk');
    }));
}
