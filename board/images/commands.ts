/**
 * The images.* commands a board answers (docs/mqtt.md): install an image from a URL the desk
 * computer serves, list, remove, collect. Every failure becomes a CommandError whose code says
 * what to do next: fix the request (bad-args), the image (bad-image), stop guests (in-use).
 */
import * as v from 'valibot';
import { describeIssues } from '../../broker/contract/messages.ts';
import { isValidId } from '../../broker/contract/topics.ts';
import { ImageError } from '../../images/format/errors.ts';
import { CommandError } from '../ops/command-error.ts';
import { downloadImage, DownloadError, type Download, type DownloadOptions } from './download.ts';
import { ImageStoreError, type ImageStore, type StoredImage } from './store.ts';

const InstallArgs = v.object({
  url: v.pipe(v.string(), v.minLength(1), v.maxLength(2048)),
  sha256: v.optional(v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits'))),
});
const RemoveArgs = v.object({ name: v.pipe(v.string(), v.check(isValidId, 'must be an image name')) });

function parse<T>(schema: v.GenericSchema<unknown, T>, args: unknown): T {
  const r = v.safeParse(schema, args ?? {});
  if (!r.success) throw new CommandError('bad-args', describeIssues(r.issues));
  return r.output;
}

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

  const install = async (raw: unknown) => {
    const args = parse(InstallArgs, raw);
    const started = performance.now();
    const { stream, size } = await download(args.url, options);
    const image = await store.install(stream, { name: args.url, origin: 'install', fileSize: size, expectSha256: args.sha256 });
    onChange({ ...none, installed: [{ name: image.name, version: image.version, sha256: image.sha256, origin: image.origin }] });
    return { ...image, ms: Math.round(performance.now() - started) };
  };

  const remove = async (raw: unknown) => {
    const result = await store.remove(parse(RemoveArgs, raw).name);
    onChange({ ...none, removed: [result.name], collected: result.blobRemoved ? [result.sha256] : [], freedBytes: result.freedBytes });
    return result;
  };

  const collect = async () => {
    const result = await store.gc();
    if (result.removed.length > 0) onChange({ ...none, collected: result.removed, freedBytes: result.freedBytes });
    return result;
  };

  return {
    async handle(op: string, args: unknown): Promise<unknown> {
      try {
        if (op === 'images.install') return await install(args);
        if (op === 'images.ls') return { images: store.list() };
        if (op === 'images.rm') return await remove(args);
        if (op === 'images.gc') return await collect();
      } catch (e) {
        throw asCommandError(e);
      }
      throw new CommandError('unknown-op', `unknown op "${op}"`);
    },
  };
}
