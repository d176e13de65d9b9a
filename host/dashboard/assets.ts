/**
 * The page's files, read from the package folder at start: the CLI runs bundled in dist/ or
 * from source under tsx, and esbuild carries no static files along, so neither can import them.
 * They are read once and served from memory, so no request path ever reaches the file system.
 */
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { packageRoot } from '../locations/package-paths.ts';

export interface Asset {
  type: string;
  body: Buffer;
}

export class DashboardAssetError extends Error {
  override readonly name = 'DashboardAssetError';
  constructor(what: string, cause: unknown) {
    super(`the dashboard's ${what} is missing: ${(cause as Error).message}`, { cause });
  }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Where the browser finds mqtt.js; the page's modules import it from this path. */
export const MQTT_PATH = '/vendor/mqtt.esm.js';
/** Where the page finds the wire contract's checks, bundled for it by build.mjs. */
export const CONTRACT_PATH = '/contract.js';

export function publicDir(): string {
  return join(packageRoot(), 'host', 'dashboard', 'public');
}

/** URL path to asset: `/` is index.html, every other file of public/ is `/<name>`. */
export async function loadAssets(dir = publicDir()): Promise<Map<string, Asset>> {
  const names = await readdir(dir).catch((err: unknown) => { throw new DashboardAssetError(`page folder ${dir}`, err); });
  const assets = new Map<string, Asset>();
  for (const name of names) {
    const type = TYPES[extname(name)];
    if (type) assets.set(name === 'index.html' ? '/' : `/${name}`, { type, body: await readFile(join(dir, name)) });
  }
  if (!assets.has('/')) throw new DashboardAssetError(`page ${join(dir, 'index.html')}`, new Error('not found'));
  assets.set(MQTT_PATH, { type: TYPES['.js']!, body: await readMqttBundle() });
  assets.set(CONTRACT_PATH, { type: TYPES['.js']!, body: await readContractBundle() });
  return assets;
}

/** dist/page-contract.js: the one file of the page that a build makes. */
export function contractBundlePath(): string {
  return join(packageRoot(), 'dist', 'page-contract.js');
}

async function readContractBundle(): Promise<Buffer> {
  try {
    return await readFile(contractBundlePath());
  } catch (err) {
    throw new DashboardAssetError('page\'s contract bundle (run npm run build)', err);
  }
}

async function readMqttBundle(): Promise<Buffer> {
  try {
    const root = dirname(createRequire(import.meta.url).resolve('mqtt/package.json'));
    return await readFile(join(root, 'dist', 'mqtt.esm.js'));
  } catch (err) {
    throw new DashboardAssetError('browser build of mqtt.js (mqtt/dist/mqtt.esm.js)', err);
  }
}
