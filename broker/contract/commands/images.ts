/**
 * The images.* ops (docs/mqtt.md, docs/images.md "the image store"): install a guest image
 * from a URL the desk computer serves, list, remove, collect.
 */
import * as v from 'valibot';
import { isValidId } from '../topics.ts';
import { command, countSchema as count, epochMsSchema, NoArgsSchema, sha256Hex } from './spec.ts';

/** What a board's image store says of an image: the fields of its ref. */
export const StoredImageFields = {
  name: v.pipe(v.string(), v.check(isValidId, 'must be an image name')),
  version: v.string(),
  /** The CPU architecture the image is for (images/format/manifest.ts). */
  arch: v.string(),
  sha256: sha256Hex,
  unpackedBytes: count,
  /** `install`: by images.install; `board-image`: carried by the board image the board booted. */
  origin: v.picklist(['install', 'board-image']),
  installedAt: epochMsSchema,
};

export const ImagesInstallArgsSchema = v.object({
  url: v.pipe(v.string(), v.minLength(1), v.maxLength(2048)),
  sha256: v.optional(sha256Hex),
});

export const ImagesRmArgsSchema = v.object({ name: StoredImageFields.name });

export const IMAGE_COMMANDS = {
  'images.install': command({
    args: ImagesInstallArgsSchema,
    result: v.object({ ...StoredImageFields, deduped: v.boolean(), ms: count }),
    summary: 'download a guest image (.dbi) from an http(s) URL into the board\'s image store, checked as it unpacks',
  }),
  'images.ls': command({
    args: NoArgsSchema,
    result: v.object({ images: v.array(v.object({ ...StoredImageFields, sharedBy: count })) }),
    summary: 'the images in the board\'s store, each with how many refs share its blob',
  }),
  'images.rm': command({
    args: ImagesRmArgsSchema,
    result: v.object({ name: v.string(), sha256: sha256Hex, blobRemoved: v.boolean(), freedBytes: count }),
    summary: 'remove an image by name; its blob goes with the last ref naming it',
  }),
  'images.gc': command({
    args: NoArgsSchema,
    result: v.object({ removed: v.array(sha256Hex), freedBytes: count, leftovers: count }),
    summary: 'remove blobs no image names and no guest uses, and what interrupted installs left',
  }),
};
