/**
 * The guest images a desk's board image carries, unpacked once into a store of the desk's own
 * (layout.carriedStoreDir) with the board's own store code: every simulated board then links
 * them (images.sharedBlobsDir, board/images/store.ts `adopt`) instead of reading, verifying
 * and unpacking the same megabytes from its slot. At 490 boards that was a fifth of the
 * agents' start. Boards flashed with another image still unpack what this copy lacks.
 */
import { join } from 'node:path';
import { installCarriedImages } from '../../board/images/carried.ts';
import { openImageStore } from '../../board/images/store.ts';
import type { PublicKey } from '../../images/format/keys.ts';
import { hostArch } from '../../images/format/manifest.ts';
import type { Logger } from '../../platform/log.ts';
import type { DeskLayout } from '../locations/layout.ts';

/** Resolves with the folder boards link blobs from. */
export async function unpackCarriedGuests(layout: DeskLayout, boardImage: string, key: PublicKey, logger: Logger): Promise<string> {
  const store = await openImageStore({ dir: layout.carriedStoreDir, keys: [key], arch: hostArch(), logger });
  await installCarriedImages(store, boardImage, [key], logger);
  return join(layout.carriedStoreDir, 'blobs');
}
