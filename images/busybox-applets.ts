/**
 * Which applets a static busybox has and which version it is, read from the file rather than
 * by running it, so a busybox for another CPU (an armhf one on an x86_64 desk computer) packs
 * the same way as the host's own, with or without qemu-user installed.
 *
 * busybox keeps its applet names in one C string literal, applet_names: the names sorted by
 * strcmp, each ended by a NUL, then the literal's own NUL ("[\0[[\0acpid\0...zcat\0\0"). The
 * file is searched for that table's start and every match is parsed and validated, so stray
 * bytes that happen to look like the start are told apart from the table.
 */
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { ElfInfo } from './elf.ts';

export class BusyboxFileError extends Error {
  constructor(readonly path: string, readonly detail: string) {
    super(`${path}: ${detail}`);
    this.name = 'BusyboxFileError';
  }
}

export interface BusyboxContents {
  /** Applet names in busybox's order, without `busybox` itself (that one is the binary, not a link). */
  applets: string[];
  /** From the "BusyBox v1.35.0" banner; undefined when the file has none. */
  version?: string;
}

/** The table's first two names: the `test` applet's two spellings, which sort before any letter. */
const TABLE_START = Buffer.from('[\0[[\0', 'latin1');
/** busybox 1.36 can be configured with about 400 applets; far more means we parsed something else. */
const MAX_APPLETS = 1024;
/** Fewer than "[", "[[" and one real applet is chance bytes, not a table. */
const MIN_APPLETS = 3;
const MAX_NAME = 64;
/** A static busybox is 1-3 MB; the whole file is read to search it, so refuse what cannot be one. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;
const VERSION = /BusyBox v(\d+(?:\.\d+)+)/g;
/** The e_machine of programs this host runs natively (elf.ts: 40 ARM, 62 x86-64, 183 AArch64). */
const HOST_MACHINE: Partial<Record<NodeJS.Architecture, number>> = { arm: 40, x64: 62, arm64: 183 };

/** An applet name becomes a file name in /bin: refuse anything that could escape it. */
function isAppletName(name: string): boolean {
  return /^[A-Za-z0-9_.[\]-]+$/.test(name) && name !== '.' && name !== '..';
}

/**
 * The applets and version of the busybox at `path`, whose ELF header is `elf`. When the
 * binary runs on this host, its own `--list` must agree with the table read from the file.
 */
export async function readBusybox(path: string, elf: ElfInfo): Promise<BusyboxContents> {
  const size = (await stat(path)).size;
  if (size > MAX_FILE_BYTES) throw new BusyboxFileError(path, `${size} bytes is too large for a busybox (at most ${MAX_FILE_BYTES})`);
  const bytes = await readFile(path);
  const applets = appletTable(path, bytes).filter((a) => a !== 'busybox');
  if (HOST_MACHINE[process.arch] === elf.machine) await crossCheck(path, applets);
  return { applets, version: bannerVersion(path, bytes) };
}

interface Table { offset: number; names: string[] }
interface NotATable { offset: number; problem: string }

function appletTable(path: string, bytes: Buffer): string[] {
  const tables: Table[] = [];
  const rejected: NotATable[] = [];
  for (let at = bytes.indexOf(TABLE_START); at >= 0; at = bytes.indexOf(TABLE_START, at + 1)) {
    const parsed = parseTable(bytes, at);
    if ('names' in parsed) tables.push(parsed); else rejected.push(parsed);
  }
  const first = tables[0];
  if (!first) {
    const why = rejected.length === 0
      ? 'no busybox applet table (NUL-separated sorted names starting "[", "[[") in the file'
      : `no valid busybox applet table: ${rejected.slice(0, 3).map((r) => `at offset ${r.offset}, ${r.problem}`).join('; ')}`;
    throw new BusyboxFileError(path, `${why}; is it a complete busybox binary?`);
  }
  const other = tables.find((t) => t.names.join('\0') !== first.names.join('\0'));
  if (other) throw new BusyboxFileError(path, `two different applet tables, at offsets ${first.offset} and ${other.offset}`);
  return first.names;
}

function parseTable(bytes: Buffer, offset: number): Table | NotATable {
  const names: string[] = [];
  const problem = (p: string): NotATable => ({ offset, problem: p });
  for (let at = offset; ; ) {
    const end = bytes.indexOf(0, at);
    if (end < 0) return problem('the table runs to the end of the file (truncated?)');
    // Two NULs in a row: the literal's own terminator after the last name.
    if (end === at) break;
    if (end - at > MAX_NAME) return problem(`entry ${names.length + 1} is longer than ${MAX_NAME} bytes`);
    const name = bytes.toString('latin1', at, end);
    if (!isAppletName(name)) return problem(`entry ${names.length + 1} ${JSON.stringify(name)} is not an applet name`);
    const previous = names.at(-1);
    if (previous !== undefined && previous >= name) return problem(`${JSON.stringify(name)} follows ${JSON.stringify(previous)}: not sorted`);
    if (names.push(name) > MAX_APPLETS) return problem(`more than ${MAX_APPLETS} names`);
    at = end + 1;
  }
  return names.length < MIN_APPLETS ? problem(`only ${names.length} names`) : { offset, names };
}

/** The one version the banner strings name; a file naming two is not one busybox. */
function bannerVersion(path: string, bytes: Buffer): string | undefined {
  const versions = [...new Set(Array.from(bytes.toString('latin1').matchAll(VERSION), (m) => m[1]!))];
  if (versions.length > 1) throw new BusyboxFileError(path, `names several BusyBox versions: ${versions.join(', ')}`);
  return versions[0];
}

/** The table read from the file is what the image gets; where busybox runs, it must say the same. */
async function crossCheck(path: string, fromFile: string[]): Promise<void> {
  const { stdout } = await promisify(execFile)(path, ['--list'], { timeout: 10_000 }).catch((e: Error) => {
    throw new BusyboxFileError(path, `--list failed: ${e.message}`);
  });
  const listed = stdout.split('\n').filter((n) => n !== '' && n !== 'busybox');
  if (listed.join('\n') === fromFile.join('\n')) return;
  const onlyListed = listed.filter((n) => !fromFile.includes(n));
  const onlyInFile = fromFile.filter((n) => !listed.includes(n));
  throw new BusyboxFileError(path, `the applet table read from the file (${fromFile.length} names) differs from --list (${listed.length}): `
    + `only listed ${JSON.stringify(onlyListed.slice(0, 5))}, only in the file ${JSON.stringify(onlyInFile.slice(0, 5))}`);
}
