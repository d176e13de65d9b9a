/**
 * `deskbox image build board`: the agent bundle, the board defaults and the guest images the
 * board carries, in one file under one signed manifest (docs/images.md, "Board images").
 * Carried guest images are checked first: a board image never smuggles in a bad one.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import * as v from 'valibot';
import { describeIssues } from '../broker/contract/messages.ts';
import { ImageDefaultsSchema } from './format/board-defaults.ts';
import type { Arch, GuestListing } from './format/manifest.ts';
import type { PrivateKey } from './format/keys.ts';
import type { PackSource } from './archive/pack.ts';
import { packArchive } from './archive/pack.ts';
import { verifyImageFile } from './verify-file.ts';
import { writeImage, type WrittenImage } from './write-image.ts';
import { sha256File } from './file-hash.ts';
import { AGENT_PATH, BOOT_PROGRAM_PATH, CONFIG_PATH } from './format/board-payload.ts';
import { boardRuntimeSources, type RuntimeOptions } from './board-runtime.ts';

export class BoardBuildError extends Error {
  constructor(readonly out: string, detail: string) {
    super(`building ${out}: ${detail}`);
    this.name = 'BoardBuildError';
  }
}


export interface BoardBuildOptions {
  out: string;
  agent: string;
  agentVersion: string;
  /**
   * What makes the payload self-contained (the CLI and the simulated desk always give both):
   * the board-side boot program (dist/board-boot.mjs), so a board can be installed from it, and
   * where the agent's run-time packages come from (images/board-runtime.ts; the arch is the
   * image's). Tests around stand-in agents leave them out.
   */
  bootProgram?: string;
  runtime?: Omit<RuntimeOptions, 'arch'>;
  /** Board defaults (ImageDefaultsSchema); omitted: the agent's own defaults. */
  defaults?: unknown;
  guests: string[];
  type: string;
  name: string;
  version: string;
  arch: Arch;
  key?: PrivateKey;
  created?: Date;
}

export async function buildBoardImage(opts: BoardBuildOptions): Promise<WrittenImage & { ms: number }> {
  const started = performance.now();
  const fail = (detail: string) => new BoardBuildError(opts.out, detail);
  let config: Buffer | undefined;
  if (opts.defaults !== undefined) {
    const parsed = v.safeParse(ImageDefaultsSchema, opts.defaults);
    if (!parsed.success) throw fail(`board defaults: ${describeIssues(parsed.issues)}`);
    config = Buffer.from(JSON.stringify(parsed.output, null, 2) + '\n');
  }
  const agentSize = (await stat(opts.agent).catch(() => { throw fail(`agent bundle ${opts.agent} not found (run npm run build)`); })).size;
  const carried: PackSource[] = [];
  if (opts.bootProgram) {
    const size = (await stat(opts.bootProgram).catch(() => { throw fail(`boot program ${opts.bootProgram} not found (run npm run build)`); })).size;
    carried.push({ path: BOOT_PROGRAM_PATH, kind: 'file', mode: 0o644, size, from: opts.bootProgram });
  }
  if (opts.runtime) carried.push(...await boardRuntimeSources({ ...opts.runtime, arch: opts.arch }).catch((e: Error) => { throw fail(e.message); }));
  const listings: GuestListing[] = [];
  const sources: PackSource[] = [
    { path: 'agent', kind: 'directory', mode: 0o755 },
    { path: AGENT_PATH, kind: 'file', mode: 0o644, size: agentSize, from: opts.agent },
    ...carried,
    { path: 'guests', kind: 'directory', mode: 0o755 },
  ];
  if (config) sources.push({ path: CONFIG_PATH, kind: 'file', mode: 0o644, size: config.length, data: config });
  for (const file of opts.guests) {
    const verdict = await verifyImageFile(file);
    if (!verdict.ok) throw fail(`guest image ${verdict.error!.message}`);
    const m = verdict.manifest!;
    if (m.kind !== 'guest') throw fail(`${file} is a ${m.kind} image, not a guest image`);
    if (m.arch !== opts.arch) throw fail(`guest image ${file} is for ${m.arch}, the board image for ${opts.arch}`);
    if (opts.key && m.keyId === null) throw fail(`guest image ${file} is unsigned; boards refuse unsigned images`);
    const path = `guests/${m.name}.dbi`;
    if (listings.some((l) => l.path === path)) throw fail(`two guest images are named ${m.name}`);
    const size = (await stat(file)).size;
    listings.push({ path, name: m.name, version: m.version, arch: m.arch, sha256: m.payload.sha256, size });
    sources.push({ path, kind: 'file', mode: 0o644, size, from: file });
  }
  const written = await writeImage({
    out: opts.out,
    key: opts.key,
    created: opts.created,
    payload: packArchive(sources),
    fields: {
      kind: 'board', name: opts.name, version: opts.version, arch: opts.arch,
      board: {
        type: opts.type,
        agent: { path: AGENT_PATH, version: opts.agentVersion, sha256: await sha256File(opts.agent) },
        config: config ? CONFIG_PATH : null,
        guests: listings,
      },
    },
  });
  return { ...written, ms: performance.now() - started };
}

/** Reads board defaults from a JSON file for `--config`. */
export async function readDefaults(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new BoardBuildError(basename(file), `board defaults ${file}: ${(e as Error).message}`);
  }
}
