/**
 * What the agent needs at run time besides its bundle, for one architecture, as files for a
 * board image's payload (docs/images.md, "Board payload"): the packages the bundle loads on
 * demand (serialport's stream and native binding, onoff and its epoll addon) with their own
 * dependencies, each native part for that architecture only, and optionally a Node runtime.
 * Nothing is linked from the desk computer: a board boots from its slot alone.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { PackSource } from './archive/pack.ts';
import { listTree } from './archive/pack.ts';
import type { Arch } from './format/manifest.ts';
import { AGENT_MODULES_DIR, NODE_RUNTIME_PATH } from './format/board-payload.ts';
import { openArmhfCache, type ArmhfCache } from './toolchain/armhf.ts';

export class BoardRuntimeError extends Error {
  constructor(detail: string) {
    super(`board runtime: ${detail}`);
    this.name = 'BoardRuntimeError';
  }
}

/** Packages the bundle imports at run time (build.mjs keeps them external). */
const ENTRY_PACKAGES = ['@serialport/stream', '@serialport/bindings-cpp', 'onoff'];
/** Dependencies only needed to compile the addons, never loaded. */
const BUILD_ONLY = new Set(['nan', 'node-addon-api']);
/** Nothing under these is read at run time (`src` of addons is C++); LICENSE files and package.json stay. */
const DROP_DIRS = new Set(['build', 'test', 'tests', 'example', 'examples', 'integration-test', 'docs', '.github']);
const DROP_FILES = /\.(md|d\.ts|map|gyp|cc|h)$/i;
/** The one prebuilt serialport binding a glibc board of the architecture loads (node-gyp-build's tags). */
const PREBUILD: Record<Arch, RegExp> = { armv7: /\.armv7\.glibc\.node$/, arm64: /\.armv8\.glibc\.node$/, x86_64: /\.glibc\.node$/ };
/** Node's names (process.platform-process.arch) per image architecture. */
const NODE_ARCH: Record<Arch, string> = { armv7: 'arm', arm64: 'arm64', x86_64: 'x64' };


export interface RuntimeOptions {
  arch: Arch;
  /** The desk computer's deskbox package root: its node_modules holds the packages' JavaScript. */
  root: string;
  /** For armv7: the cache of cross-built addons and armhf Node builds (scripts/fetch-armhf.sh). */
  armhf?: string;
  /** Also carry a Node runtime (`--with-node`), for boards without one. */
  withNode?: boolean;
}

interface Pkg { name: string; dir: string; native: boolean }

/** Node's lookup from `from`: its own node_modules, then each parent's. */
function resolvePackage(name: string, from: string, root: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dirname(dir) === dir) throw new BoardRuntimeError(`package ${name} (needed from ${from}) is not installed; run npm ci`);
  }
}

async function closure(root: string): Promise<Pkg[]> {
  const found = new Map<string, Pkg>();
  const visit = async (name: string, from: string) => {
    if (BUILD_ONLY.has(name)) return;
    const dir = resolvePackage(name, from, root);
    if (found.has(dir)) return;
    found.set(dir, { name, dir, native: existsSync(join(dir, 'binding.gyp')) });
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const dep of Object.keys(manifest.dependencies ?? {})) await visit(dep, dir);
  };
  for (const name of ENTRY_PACKAGES) await visit(name, root);
  return [...found.values()];
}

/** epoll has no prebuilds: the host's own build for x86_64, cross-built ones for armv7. */
async function epollBuilds(o: RuntimeOptions, cache: ArmhfCache | undefined): Promise<{ dir: string; from: string }[]> {
  if (o.arch === 'armv7') {
    return cache!.nodes.map((n) => {
      const dir = `node-v${n.abi}-linux-arm`;
      const from = join(cache!.dir, 'addons', 'epoll', dir, 'epoll.node');
      if (!existsSync(from)) throw new BoardRuntimeError(`no armv7 epoll build for Node ABI ${n.abi} at ${from}; run scripts/build-armv7-addons.sh`);
      return { dir, from };
    });
  }
  if (NODE_ARCH[o.arch] !== process.arch) throw new BoardRuntimeError(`no epoll build for ${o.arch} on this ${process.arch} machine`);
  const from = join(resolvePackage('epoll', o.root, o.root), 'build', 'Release', 'epoll.node');
  if (!existsSync(from)) throw new BoardRuntimeError(`epoll was not built (${from}); run npm ci`);
  return [{ dir: `node-v${process.versions.modules}-linux-${process.arch}`, from }];
}

async function nodeBinary(o: RuntimeOptions, cache: ArmhfCache | undefined): Promise<string> {
  if (o.arch === 'armv7') return cache!.nodes.find((n) => n.name === 'node-20.11-armv7l')!.binary;
  if (NODE_ARCH[o.arch] !== process.arch) throw new BoardRuntimeError(`no Node runtime for ${o.arch} on this ${process.arch} machine`);
  return process.execPath;
}

export async function boardRuntimeSources(o: RuntimeOptions): Promise<PackSource[]> {
  const cache = o.arch === 'armv7' ? openArmhfCache(o.armhf ?? '') : undefined;
  const nodeArch = NODE_ARCH[o.arch];
  const out: PackSource[] = [{ path: AGENT_MODULES_DIR, kind: 'directory', mode: 0o755 }];
  // `agent/` itself is the board image's, beside the bundle.
  const dirs = new Set<string>(['agent', AGENT_MODULES_DIR]);
  const addDir = (path: string) => {
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const p = parts.slice(0, i).join('/');
      if (!dirs.has(p)) { dirs.add(p); out.push({ path: p, kind: 'directory', mode: 0o755 }); }
    }
  };
  const modulesRoot = join(o.root, 'node_modules');
  for (const pkg of await closure(o.root)) {
    const base = `${AGENT_MODULES_DIR}/${pkg.dir.slice(modulesRoot.length + 1)}`;
    for (const s of await listTree(pkg.dir)) {
      const parts = s.path.split('/');
      // Nested node_modules are packages of their own, reached through the closure.
      if (parts[0] === 'node_modules' || DROP_DIRS.has(parts[0]!) || (parts[0] === 'src' && pkg.native)) continue;
      if (s.kind === 'file' && DROP_FILES.test(s.path)) continue;
      if (parts[0] === 'prebuilds' && parts[1] !== undefined && (parts[1] !== `linux-${nodeArch}` || (s.kind === 'file' && !PREBUILD[o.arch].test(s.path)))) continue;
      if (s.path === '') { addDir(base); continue; }
      if (s.kind === 'directory') addDir(`${base}/${s.path}`);
      else out.push({ ...s, path: `${base}/${s.path}` });
    }
  }
  for (const b of await epollBuilds(o, cache)) {
    const dir = `${AGENT_MODULES_DIR}/epoll/lib/binding/${b.dir}`;
    addDir(dir);
    out.push({ path: `${dir}/epoll.node`, kind: 'file', mode: 0o755, size: (await stat(b.from)).size, from: b.from });
  }
  if (o.withNode) {
    const from = await nodeBinary(o, cache);
    addDir('runtime');
    out.push({ path: NODE_RUNTIME_PATH, kind: 'file', mode: 0o755, size: (await stat(from)).size, from });
  }
  return out;
}
