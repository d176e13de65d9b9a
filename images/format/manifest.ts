/**
 * The manifest of a .dbi file (docs/images.md, "Manifest"): the schema is strict, because a
 * reader cannot honour a field it does not know; a new field means a new format version.
 */
import * as v from 'valibot';
import { isValidId } from '../../broker/contract/topics.ts';
import { describeIssues } from '../../broker/contract/messages.ts';
import { ImageError } from './errors.ts';
import { FORMAT_VERSION, type ImageHeader } from './header.ts';

export const BLOCK_SIZE = 65536;
export const ARCHES = ['armv7', 'arm64', 'x86_64'] as const;
export type Arch = (typeof ARCHES)[number];

const sha256 = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits'));
const name = v.pipe(v.string(), v.check(isValidId, 'must be 1-63 of A-Z a-z 0-9 _ . - starting alphanumeric'));
const version = v.pipe(v.string(), v.regex(/^[\x21-\x7e]{1,64}$/, 'must be 1-64 printable characters without spaces'));
const count = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const archivePath = v.pipe(v.string(), v.regex(/^[^/\0][^\0]*$/, 'must be a relative archive path'));

const GuestListingSchema = v.strictObject({
  path: archivePath,
  name,
  version,
  arch: v.picklist(ARCHES),
  sha256,
  size: count,
});

const BoardSectionSchema = v.strictObject({
  type: name,
  agent: v.strictObject({ path: archivePath, version, sha256 }),
  config: v.nullable(archivePath),
  guests: v.array(GuestListingSchema),
});

export const ManifestSchema = v.strictObject({
  format: v.literal('deskbox-image'),
  v: v.literal(FORMAT_VERSION),
  kind: v.picklist(['guest', 'board']),
  name,
  version,
  arch: v.picklist(ARCHES),
  created: v.pipe(v.string(), v.isoTimestamp()),
  keyId: v.nullable(v.pipe(v.string(), v.regex(/^[0-9a-f]{16}$/, 'must be 16 lower-case hex digits'))),
  payload: v.strictObject({ type: v.literal('tar'), size: count, sha256, entries: count, unpackedBytes: count }),
  blocks: v.strictObject({ size: v.literal(BLOCK_SIZE), hashes: v.array(v.nullable(sha256)) }),
  board: v.optional(BoardSectionSchema),
});

export type Manifest = v.InferOutput<typeof ManifestSchema>;
export type GuestListing = v.InferOutput<typeof GuestListingSchema>;
export type BoardSection = v.InferOutput<typeof BoardSectionSchema>;

export function blockCount(size: number): number {
  return Math.ceil(size / BLOCK_SIZE);
}

export function parseManifest(bytes: Buffer, header: ImageHeader, source: string): Manifest {
  const fail = (detail: string) => new ImageError('manifest', source, detail);
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw fail(`not valid JSON (${(e as Error).message})`);
  }
  const parsed = v.safeParse(ManifestSchema, json);
  if (!parsed.success) throw fail(describeIssues(parsed.issues));
  const m = parsed.output;
  if (m.payload.size !== header.payloadLength) throw fail(`payload.size is ${m.payload.size} but the header says ${header.payloadLength}`);
  if (m.blocks.hashes.length !== blockCount(m.payload.size)) {
    throw fail(`blocks.hashes has ${m.blocks.hashes.length} items; a ${m.payload.size}-byte payload has ${blockCount(m.payload.size)} blocks`);
  }
  if ((m.kind === 'board') !== (m.board !== undefined)) throw fail(m.kind === 'board' ? 'a board image needs a board section' : 'only board images have a board section');
  if ((m.keyId === null) !== (header.signatureLength === 0)) throw fail(m.keyId === null ? 'keyId is null but the file carries a signature' : `keyId is ${m.keyId} but the file carries no signature`);
  return m;
}

export function hostArch(): Arch {
  const map: Partial<Record<string, Arch>> = { arm: 'armv7', arm64: 'arm64', x64: 'x86_64' };
  const a = map[process.arch];
  if (!a) throw new Error(`deskbox images have no architecture name for ${process.arch}`);
  return a;
}
