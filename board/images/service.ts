/**
 * A board's images as the agent sees them: opens the store with the board's trusted keys,
 * installs the guest images the booted board image carries, and answers the images.*
 * commands. Guests resolve their root filesystems through it.
 */
import type { BoardConfig } from '../config/board-config.ts';
import type { BootInfo } from '../flash/boot-info.ts';
import { parsePublicKey, type PublicKey } from '../../images/format/keys.ts';
import { hostArch } from '../../images/format/manifest.ts';
import type { Logger } from '../../platform/log.ts';
import { installCarriedImages } from './carried.ts';
import { createImageCommands, type ImagesChange } from './commands.ts';
import { blobRootfs } from './store-files.ts';
import { openImageStore } from './store.ts';

export interface ImageServiceDeps {
  config: NonNullable<BoardConfig['images']>;
  /** What the boot program booted: which slot, and so which carried guest images. */
  boot?: BootInfo;
  logger: Logger;
  now(): number;
  /** Root folders of the guests that run now: their blobs are never removed. */
  rootfsInUse(): ReadonlySet<string>;
  onChange(change: ImagesChange): void;
}

/** A key that does not parse is left out, loudly: the board still runs, it just trusts less. */
function trustedKeys(texts: string[], logger: Logger): PublicKey[] {
  return texts.flatMap((text, i) => {
    try {
      return [parsePublicKey(text, `images.trustedKeys[${i}]`)];
    } catch (e) {
      logger.error('trusted key ignored', { error: (e as Error).message });
      return [];
    }
  });
}

export async function openImageService(deps: ImageServiceDeps) {
  const { config, logger } = deps;
  const keys = trustedKeys(config.trustedKeys, logger);
  const store = await openImageStore({
    dir: config.storeDir, keys, arch: config.arch ?? hostArch(), logger, now: deps.now,
    inUse: (sha) => deps.rootfsInUse().has(blobRootfs(config.storeDir, sha)),
  });
  const boot = deps.boot;
  if (boot) {
    try {
      const installed = await installCarriedImages(store, boot.slotFile, keys, logger, config.sharedBlobsDir);
      if (installed.length > 0) {
        logger.info('carried guest images installed', { slot: boot.slot, images: installed.map((i) => i.name) });
        deps.onChange({ installed: installed.map(({ name, version, sha256, origin }) => ({ name, version, sha256, origin })), removed: [], collected: [], freedBytes: 0 });
      }
    } catch (e) {
      // A board without its carried images still boots and can be given images over MQTT.
      logger.warn('carried guest images not installed', { slot: boot.slot, error: (e as Error).message });
    }
  }
  const commands = createImageCommands({ store, onChange: deps.onChange });
  return {
    store,
    handlers: commands.handlers,
    resolve: (name: string) => store.resolve(name),
  };
}

export type ImageService = Awaited<ReturnType<typeof openImageService>>;
