/**
 * The archive and board checks of docs/images.md: walks a verified payload under the archive
 * rules and, for a board image, opens every carried guest image as an image of its own and
 * hashes the agent. Nothing is written; `deskbox image verify` and the boot ROM use this.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ImageError } from './format/errors.ts';
import type { Manifest } from './format/manifest.ts';
import type { PublicKey } from './format/keys.ts';
import { openImageStream, type OpenedImage } from './read-stream.ts';
import { ArchiveError, createArchiveRules } from './archive/rules.ts';
import { listArchive, walkArchive } from './archive/read.ts';

export interface PayloadCheckOptions {
  name: string;
  keys?: readonly PublicKey[];
  /** Refuse a board image for another board type. */
  boardType?: string;
}

export interface CarriedGuest {
  path: string;
  manifest: Manifest;
}

export function assertArchiveCounts(manifest: Manifest, got: { entries: number; unpackedBytes: number }, name: string): void {
  const { entries, unpackedBytes } = manifest.payload;
  if (got.entries !== entries) throw new ImageError('archive', name, `the archive has ${got.entries} entries, the manifest says ${entries}`);
  if (got.unpackedBytes !== unpackedBytes) throw new ImageError('archive', name, `the archive unpacks to ${got.unpackedBytes} bytes, the manifest says ${unpackedBytes}`);
}

export function asImageError(e: unknown, name: string): Error {
  return e instanceof ArchiveError ? new ImageError('archive', name, e.message) : (e as Error);
}

/** Consumes `opened.payload`; resolves with the carried guests of a board image (none for a guest image). */
export async function checkPayload(opened: OpenedImage, opts: PayloadCheckOptions): Promise<CarriedGuest[]> {
  const { manifest } = opened.head;
  if (manifest.kind === 'guest') {
    const listed = await listArchive(opened.payload).catch((e: unknown) => { throw asImageError(e, opts.name); });
    assertArchiveCounts(manifest, listed, opts.name);
    return [];
  }
  return checkBoardPayload(opened, opts);
}

async function checkBoardPayload(opened: OpenedImage, opts: PayloadCheckOptions): Promise<CarriedGuest[]> {
  const { manifest } = opened.head;
  const board = manifest.board!;
  const fail = (detail: string) => new ImageError('board', opts.name, detail);
  if (opts.boardType !== undefined && board.type !== opts.boardType) throw fail(`the image is for board type "${board.type}", this board is "${opts.boardType}"`);
  const rules = createArchiveRules();
  const listed = new Map(board.guests.map((g) => [g.path, g]));
  const carried: CarriedGuest[] = [];
  let agentSha: string | undefined;
  let configSeen = false;
  const walk = walkArchive(rules, async ({ path, kind }, header, data) => {
    if (kind !== 'file') return;
    const entry = Readable.from(data);
    if (path === board.agent.path) {
      const h = createHash('sha256');
      for await (const c of entry) h.update(c as Buffer);
      agentSha = h.digest('hex');
    } else if (listed.has(path)) {
      const guest = await checkCarriedGuest(entry, path, header.size ?? 0, opts);
      const g = listed.get(path)!;
      const m = guest.manifest;
      const same = m.kind === 'guest' && m.name === g.name && m.version === g.version && m.arch === g.arch && m.payload.sha256 === g.sha256 && header.size === g.size;
      if (!same) throw fail(`the carried image ${path} is not the one the manifest lists (${m.kind} ${m.name} ${m.version} ${m.arch}, payload ${m.payload.sha256.slice(0, 12)})`);
      carried.push(guest);
    } else if (path === board.config) {
      configSeen = true;
    }
  }, async () => {});
  const piped = pipeline(opened.payload, walk.writable).catch(() => {});
  await walk.done.catch((e: unknown) => { throw asImageError(e, opts.name); });
  await piped;
  assertArchiveCounts(manifest, rules, opts.name);
  if (agentSha === undefined) throw fail(`the agent ${board.agent.path} is missing from the archive`);
  if (agentSha !== board.agent.sha256) throw fail(`the agent's SHA-256 is ${agentSha}, the manifest says ${board.agent.sha256}`);
  if (board.config !== null && !configSeen) throw fail(`the config ${board.config} is missing from the archive`);
  const missing = board.guests.find((g) => !carried.some((c) => c.path === g.path));
  if (missing) throw fail(`the carried guest image ${missing.path} is missing from the archive`);
  return carried;
}

async function checkCarriedGuest(entry: Readable, path: string, size: number, opts: PayloadCheckOptions): Promise<CarriedGuest> {
  const name = `${opts.name}:${path}`;
  const opened = await openImageStream(entry, { name, keys: opts.keys, fileSize: size });
  await checkPayload(opened, { name, keys: opts.keys });
  return { path, manifest: opened.head.manifest };
}
