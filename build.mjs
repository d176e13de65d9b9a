// Bundles the board agent and the host CLI into one file each. Native modules stay external:
// they ship prebuilt per platform inside their packages and are loaded only where used.
import { readFileSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const { version } = pkg;
/** The boards' Node floor (package.json deskbox.board.node, e.g. ">=18.20.0"). */
const boardFloor = /^>=(\d+\.\d+\.\d+)$/.exec(pkg.deskbox.board.node)[1];

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

const boardTarget = {
  ...common,
  target: `node${boardFloor}`,
  minify: true,
  alias: Object.fromEntries(['ws', 'socks', 'worker-timers'].map((m) => [m, './board/bundle/absent-module.ts'])),
};

const [board] = await Promise.all([
  build({
    ...boardTarget,
    entryPoints: ['board/main.ts'],
    outfile: 'dist/board.mjs',
    metafile: true,
    external: ['serialport', '@serialport/*', 'onoff'],
  }),
  // The boot program lives outside the slots and carries no native modules at all.
  build({
    ...boardTarget,
    entryPoints: ['board/boot/main.ts'],
    outfile: 'dist/board-boot.mjs',
  }),
  // The desk's pty host (host/desk/pty-host-main.ts): a process of its own, node-pty's native module beside it.
  build({
    ...common,
    entryPoints: ['host/desk/pty-host-main.ts'],
    outfile: 'dist/pty-host.mjs',
    external: ['node-pty'],
  }),
  build({
    ...common,
    entryPoints: ['host/cli/main.ts'],
    outfile: 'dist/deskbox.mjs',
    banner: { js: `#!/usr/bin/env node\n${common.banner.js}` },
    external: ['serialport', '@serialport/*', 'onoff', 'better-sqlite3', 'aedes', 'aedes-persistence', 'ws', 'bufferutil', 'utf-8-validate'],
  }),
  // The contract the dashboard page runs (host/dashboard/page-contract.ts): plain ES modules in
  // the browser cannot import TypeScript, and a copy in JavaScript would drift.
  build({
    entryPoints: ['host/dashboard/page-contract.ts'],
    outfile: 'dist/page-contract.js',
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  }),
]);

// What went into the board bundle, so a test can hold it to "nothing from host/, no dev deps".
writeFileSync('dist/board.meta.json', JSON.stringify(board.metafile));
