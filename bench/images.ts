/**
 * Image building and checking, beside plain tools on the same bytes in the same run:
 *   build    busybox guest image (pack deterministically, hash every block, sign, write
 *            atomically) vs `tar -cf - | sha256sum` over the same rootfs folder
 *   verify   full check of the desk's board image (header, signature, every block, payload
 *            hash, archive rules, the carried guest image checked as an image of its own)
 *            vs `sha256sum` of the file
 * and the sizes of both images.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger } from '../platform/log.ts';
import { buildBusyboxRootfs, defaultBusyboxPath } from '../images/busybox-rootfs.ts';
import { buildGuestImage } from '../images/build-guest.ts';
import { buildBoardImage } from '../images/build-board.ts';
import { verifyImageFile } from '../images/verify-file.ts';
import { generateKeys } from '../images/format/keys.ts';
import { hostArch } from '../images/format/manifest.ts';
import { agentBundlePath } from '../host/locations/package-paths.ts';
import { median, printRows, spread } from './lib/stats.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const busybox = defaultBusyboxPath();
if (!busybox) throw new Error('the images bench needs a static busybox (apt install busybox-static)');
const work = await mkdtemp(join(tmpdir(), 'deskbox-bench-images-'));
try {
  const logger = memoryLogger();
  const k = generateKeys();
  const key = { id: k.publicKey.id, key: createPrivateKey(k.privatePem) };
  const rootfs = (await buildBusyboxRootfs({ busybox, dest: join(work, 'rootfs'), logger })).dir;
  const time = (fn: () => unknown) => { const t = performance.now(); fn(); return performance.now() - t; };
  const timeAsync = async (fn: () => Promise<unknown>) => { const t = performance.now(); await fn(); return performance.now() - t; };

  const build: number[] = [];
  const tarHash: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    build.push(await timeAsync(() => buildGuestImage({ out: join(work, 'guest.dbi'), rootfs, name: 'busybox', version: '1', key, logger })));
    tarHash.push(time(() => execFileSync('sh', ['-c', `tar -cf - -C '${rootfs}' . | sha256sum`], { stdio: 'ignore' })));
  }
  const guest = await buildGuestImage({ out: join(work, 'guest.dbi'), rootfs, name: 'busybox', version: '1', key, logger });
  const board = await buildBoardImage({
    out: join(work, 'board.dbi'), agent: agentBundlePath(), agentVersion: 'bench', guests: [guest.file], type: 'sim', name: 'board', version: 'bench', arch: hostArch(), key,
  });
  const verify: number[] = [];
  const sha: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    verify.push(await timeAsync(async () => {
      const v = await verifyImageFile(board.file, { keys: [k.publicKey], boardType: 'sim' });
      if (!v.ok) throw new Error(v.error!.message);
    }));
    sha.push(time(() => execFileSync('sha256sum', [board.file], { stdio: 'ignore' })));
  }
  const ratio = (a: number[], b: number[]) => `${(median(a) / median(b)).toFixed(2)}x baseline`;
  printRows(`image build and verify, ${RUNS} runs each`, [
    { what: 'build busybox guest image', median: median(build), unit: 'ms', range: spread(build), note: ratio(build, tarHash) },
    { what: 'baseline tar | sha256sum', median: median(tarHash), unit: 'ms', range: spread(tarHash) },
    { what: 'verify board image (all checks)', median: median(verify), unit: 'ms', range: spread(verify), note: ratio(verify, sha) },
    { what: 'baseline sha256sum board.dbi', median: median(sha), unit: 'ms', range: spread(sha) },
  ]);
  const m = guest.manifest;
  process.stdout.write(`\nsizes\n  guest image  ${guest.bytes} bytes (payload ${m.payload.size}, ${m.payload.entries} entries, unpacks to ${m.payload.unpackedBytes}; ${m.blocks.hashes.length} blocks, ${m.blocks.hashes.filter((h) => h === null).length} empty)\n  board image  ${board.bytes} bytes (agent + the guest image)\n`);
} finally {
  await rm(work, { recursive: true, force: true });
}
