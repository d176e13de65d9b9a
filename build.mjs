// Bundles the board agent and the host CLI into one file each. Native modules stay external:
// they ship prebuilt per platform inside their packages and are loaded only where used.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  legalComments: 'none',
  // ESM output still meets CommonJS dependencies (mqtt.js) that call require().
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
  define: { DESKBOX_VERSION: JSON.stringify(version) },
};

await Promise.all([
  build({
    ...common,
    entryPoints: ['board/main.ts'],
    outfile: 'dist/board.mjs',
    minify: true,
    external: ['serialport', 'onoff'],
  }),
  build({
    ...common,
    entryPoints: ['host/cli/main.ts'],
    outfile: 'dist/deskbox.mjs',
    external: ['serialport', 'onoff', 'better-sqlite3', 'aedes', 'aedes-persistence', 'ws', 'bufferutil', 'utf-8-validate'],
  }),
]);
