/**
 * The images the serial benchmark flashes, all signed with one throwaway key:
 *   random     a board image whose agent is random bytes: incompressible, so what crosses
 *              the line is the image itself (deflate finds nothing, the board holds none of it)
 *   busybox    the desk's board image: the real agent bundle and the busybox guest image, a
 *              typical root filesystem, for what compression gains
 *   delta      two images of one size differing in 1 MB in the middle of the agent: the tar
 *              puts the agent at the same offset in both, so all other blocks stay aligned
 */
import { createPrivateKey, randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { memoryLogger } from '../platform/log.ts';
import { buildBoardImage } from '../images/build-board.ts';
import { buildGuestImage } from '../images/build-guest.ts';
import { defaultBusyboxPath } from '../images/busybox-rootfs.ts';
import { generateKeys, type PrivateKey } from '../images/format/keys.ts';
import { hostArch } from '../images/format/manifest.ts';
import { agentBundlePath } from '../host/locations/package-paths.ts';

export interface BenchImages {
  /** Trusted by the boards (the one-line form). */
  publicKey: string;
  random(name: string, bytes: number): Promise<string>;
  busybox(): Promise<string>;
  delta(bytes: number, changed: number): Promise<{ before: string; after: string }>;
}

export function benchImages(dir: string): BenchImages {
  const k = generateKeys();
  const key: PrivateKey = { id: k.publicKey.id, key: createPrivateKey(k.privatePem) };
  const board = (name: string, agent: string, guests: string[] = []) =>
    buildBoardImage({ out: join(dir, `${name}.dbi`), agent, agentVersion: name, guests, type: 'sim', name: 'bench', version: name, arch: hostArch(), key })
      .then((w) => w.file);
  /** Written in 4 MB pieces: a 64 MB agent need not sit in memory twice. */
  const writeAgent = async (name: string, bytes: number, piece: (at: number, n: number) => Buffer) => {
    const file = join(dir, `${name}.agent`);
    const fh = await open(file, 'w');
    try {
      for (let at = 0; at < bytes; at += 4 << 20) await fh.write(piece(at, Math.min(4 << 20, bytes - at)));
    } finally {
      await fh.close();
    }
    return file;
  };
  return {
    publicKey: k.publicKey.text,
    async random(name, bytes) {
      return board(name, await writeAgent(name, bytes, (_, n) => randomBytes(n)));
    },
    async busybox() {
      const busybox = defaultBusyboxPath();
      if (!busybox) throw new Error('the serial bench needs a static busybox (apt install busybox-static)');
      const guest = await buildGuestImage({ out: join(dir, 'busybox-guest.dbi'), busybox, key, logger: memoryLogger() });
      return board('busybox', agentBundlePath(), [guest.file]);
    },
    async delta(bytes, changed) {
      // Both agents from one seed of pieces, so only the middle differs.
      const seed = Array.from({ length: Math.ceil(bytes / (4 << 20)) }, () => randomBytes(4 << 20));
      const from = Math.floor((bytes - changed) / 2);
      const fresh = randomBytes(changed);
      const before = await writeAgent('delta-before', bytes, (at, n) => seed[at / (4 << 20)]!.subarray(0, n));
      const after = await writeAgent('delta-after', bytes, (at, n) => {
        const p = Buffer.from(seed[at / (4 << 20)]!.subarray(0, n));
        const lo = Math.max(from, at);
        const hi = Math.min(from + changed, at + n);
        if (lo < hi) fresh.copy(p, lo - at, lo - from, hi - from);
        return p;
      });
      return { before: await board('delta-before', before), after: await board('delta-after', after) };
    },
  };
}

