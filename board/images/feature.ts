/**
 * The images feature: the board's image store (service.ts), opened when the agent starts,
 * and the images.* ops. A board without an `images` section refuses them.
 */
import { unavailable, type AgentContext, type Feature } from '../ops/feature.ts';
import { opening } from '../ops/opening.ts';
import type { BootInfo } from '../flash/boot-info.ts';
import { openImageService, type ImageService } from './service.ts';
import { imagesCheck } from '../health/images-check.ts';

export interface ImagesDeps {
  bootInfo?: BootInfo;
  /** Root folders of the guests that run now: their blobs are never removed. */
  rootfsInUse(): ReadonlySet<string>;
}

export interface ImagesFeature extends Feature {
  /** The rootfs folder of an installed image, or undefined. */
  resolve(name: string): string | undefined;
  /** Installed images by name (none while the store is not open). */
  names(): string[];
}

export function imagesFeature(ctx: AgentContext, deps: ImagesDeps): ImagesFeature {
  const { config, logger } = ctx;
  if (!config.images) {
    const none = unavailable('this board has no image store (no images section in its config)');
    return { handlers: { 'images.install': none, 'images.ls': none, 'images.rm': none, 'images.gc': none }, resolve: () => undefined, names: () => [] };
  }
  const images = config.images;
  const store = opening<ImageService>('image store');
  const handlers = async () => (await store.ready()).handlers;
  return {
    handlers: {
      'images.install': async (args) => (await handlers())['images.install'](args),
      'images.ls': async () => (await handlers())['images.ls'](),
      'images.rm': async (args) => (await handlers())['images.rm'](args),
      'images.gc': async () => (await handlers())['images.gc'](),
    },
    resolve: (name) => store.current?.resolve(name),
    names: () => store.current?.store.list().map((i) => i.name) ?? [],
    healthChecks: () => [imagesCheck(() => store.ready().then((s) => s.store, () => undefined))],
    // Guests run from the store, so it opens first; carried images are in it before any guest starts.
    start: () => store.open(() => openImageService({
      config: images, boot: deps.bootInfo, logger: logger.child('images'), now: () => ctx.clock.now(),
      rootfsInUse: deps.rootfsInUse,
      onChange: (change) => ctx.event({ type: 'images', ...change }),
    }).catch((err: Error) => { logger.error('image store unavailable', { error: err.message }); return undefined; })),
  };
}
