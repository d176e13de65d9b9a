/**
 * Ed25519 keys for signing images, with node's own crypto. A public key travels as one
 * line, `ed25519:<base64 of the raw 32 bytes>`, short enough to paste into a board config;
 * its id (16 hex digits of SHA-256 over those bytes) goes into each manifest it signs.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';

export class KeyError extends Error {
  constructor(readonly source: string, detail: string) {
    super(`${source}: ${detail}`);
    this.name = 'KeyError';
  }
}

export interface PublicKey {
  id: string;
  text: string;
  key: KeyObject;
}

export interface PrivateKey {
  id: string;
  key: KeyObject;
}

const PREFIX = 'ed25519:';

function rawOf(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw new Error('not an Ed25519 key');
  return Buffer.from(jwk.x, 'base64url');
}

export function keyIdOf(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex').slice(0, 16);
}

function publicFromKeyObject(key: KeyObject): PublicKey {
  const raw = rawOf(key);
  return { id: keyIdOf(raw), text: PREFIX + raw.toString('base64'), key };
}

export function generateKeys(): { privatePem: string; publicKey: PublicKey } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), publicKey: publicFromKeyObject(publicKey) };
}

/** Accepts the one-line form or an SPKI PEM. */
export function parsePublicKey(text: string, source = 'public key'): PublicKey {
  const t = text.trim();
  try {
    if (t.startsWith(PREFIX)) {
      const raw = Buffer.from(t.slice(PREFIX.length), 'base64');
      if (raw.length !== 32) throw new Error(`expected 32 key bytes, got ${raw.length}`);
      return publicFromKeyObject(createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' }));
    }
    return publicFromKeyObject(createPublicKey(t));
  } catch (e) {
    throw new KeyError(source, `not an Ed25519 public key (${(e as Error).message}); expected "ed25519:<base64>" or a PEM public key`);
  }
}

export async function loadPublicKey(file: string): Promise<PublicKey> {
  const text = await readFile(file, 'utf8').catch((e: Error) => { throw new KeyError(file, e.message); });
  return parsePublicKey(text, file);
}

export async function loadPrivateKey(file: string): Promise<PrivateKey> {
  const pem = await readFile(file, 'utf8').catch((e: Error) => { throw new KeyError(file, e.message); });
  try {
    const key = createPrivateKey(pem);
    return { id: publicFromKeyObject(createPublicKey(key)).id, key };
  } catch (e) {
    // The key's bytes never go into the message.
    throw new KeyError(file, `not an Ed25519 private key (${(e as Error).message.split('\n')[0]})`);
  }
}

export function signManifest(manifest: Buffer, key: PrivateKey): Buffer {
  return sign(null, manifest, key.key);
}

export function verifyManifest(manifest: Buffer, signature: Buffer, key: PublicKey): boolean {
  return verify(null, manifest, key.key, signature);
}
