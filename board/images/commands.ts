/**
 * The images.* commands a board answers (docs/mqtt.md): install an image from a URL the desk
 * computer serves, list, remove, collect. Arguments come validated by the catalogue
 * (broker/contract/commands/images.ts). Every failure becomes a CommandError whose code says
 * what to do next: fix the request (bad-args), the image (bad-image), stop guests (in-use).
 */
import type { CommandResult, ParsedArgs } from '../../broker/contract/commands/index.ts';
import { ImageError } from '../../images/format/errors.ts';
import { CommandError } from '../ops/command-error.ts';
import type { Handlers } from '../ops/feature.ts';
import { downloadImage, DownloadError, type Download, type DownloadOptions } from './download.ts';
import { ImageStoreError, type ImageStore, type StoredImage } from './store.ts';

/** What changed in the store, for the board's `images` event. */
export interface ImagesChange {
  installed: Pick<StoredImage, 'name' | 'version' | 'sha256' | 'origin'>[];
  removed: string[];
  collected: string[];
  freedBytes: number;
}

export interface ImageCommandDeps {
  store: ImageStore;
  onChange(change: ImagesChange): void;
  /** Stall limit and size cap of downloads; defaults suit a board on the desk's LAN. */
  downloadOptions?: Partial<DownloadOptions>;
  download?: (url: string, opts: DownloadOptions) => Promise<Download>;
}

const DEFAULT_DOWNLOAD: DownloadOptions = { timeoutMs: 30_000, maxBytes: 2 * 1024 ** 3 };

/** The store's and the reader's typed errors, as reply codes. */
function asCommandError(e: unknown): unknown {
  if (e instanceof ImageError) return new CommandError('bad-image', e.message);
  if (e instanceof DownloadError) return new CommandError(e.failure === 'bad-url' ? 'bad-args' : 'failed', e.message);
  if (e instanceof ImageStoreError) return new CommandError(e.code === 'in-use' ? 'in-use' : e.code === 'not-found' ? 'bad-args' : 'failed', e.message);
  return e;
}

export function createImageCommands({ store, onChange, downloadOptions, download = downloadImage }: ImageCommandDeps) {
  const options: DownloadOptions = { ...DEFAULT_DOWNLOAD, ...downloadOptions };
  const none: ImagesChange = { installed: [], removed: [], collected: [], freedBytes: 0 };

  const install = async (args: ParsedArgs<'images.install'>) => {
    const started = performance.now();
    const { stream, size } = await download(args.url, options);
    const image = await store.install(stream, { name: args.url, origin: 'install', fileSize: size, expectSha256: args.sha256 });
    onChange({ ...none, installed: [{ name: image.name, version: image.version, sha256: image.sha256, origin: image.origin }] });
    return { ...image, ms: Math.round(performance.now() - started) };
  };

  const remove = async (args: ParsedArgs<'images.rm'>) => {
    const result = await store.remove(args.name);
    onChange({ ...none, removed: [result.name], collected: result.blobRemoved ? [result.sha256] : [], freedBytes: result.freedBytes });
    return result;
  };

  const collect = async () => {
    const result = await store.gc();
    if (result.removed.length > 0) onChange({ ...none, collected: result.removed, freedBytes: result.freedBytes });
    return result;
  };

  /** The store's and the download's errors become reply codes. */
  const coded = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    try {
      return await fn(...args);
    } catch (e) {
      throw asCommandError(e);
    }
  };

  return {
    handlers: {
      'images.install': coded(install),
      'images.ls': async (): Promise<CommandResult<'images.ls'>> => ({ images: store.list() }),
      'images.rm': coded(remove),
      'images.gc': coded(collect),
    } satisfies Handlers,
  };
}
