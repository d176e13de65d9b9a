/**
 * A crun guest started on a network runs in the namespace board/net made for it (even with the
 * light profile, which otherwise shares the board's network), with its address there; when it
 * is removed its namespace and veth go. The process runtime refuses networks.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { memoryLogger } from '../../platform/log.ts';
import { createCrunRuntime } from '../../board/guests/crun.ts';
import { createProcessRuntime } from '../../board/guests/process-runtime.ts';
import { LIGHT_PROFILE } from '../../board/guests/oci-bundle.ts';
import { guestSpecs } from '../../board/guests/spec.ts';
import { createNetService } from '../../board/net/service.ts';
import { makeBusyboxRootfs } from '../guests/fixtures/busybox-rootfs.ts';
import { tempDir } from '../support/temp-dir.ts';
import { namespacesLike, sh } from './fixture.ts';

const tag = `nc${Math.random().toString(36).slice(2, 6)}`;
const dir = await tempDir('deskbox-netcrun-');
const rootfs = await makeBusyboxRootfs(join(dir.path, 'rootfs'));
const readyPath = join(dir.path, 'ready');
execFileSync('mkfifo', [readyPath]);
const fifo = openSync(readyPath, constants.O_RDWR | constants.O_NONBLOCK);
const boardNs = `${tag}board`; // not `${tag}-...`: that would be one of the board's own namespaces
sh(`ip netns add ${boardNs}`);
const deps = { stateDir: join(dir.path, 'state'), readyPath, logger: memoryLogger(), rootfsOf: () => rootfs };
const [spec] = guestSpecs({ board: 'b1', desk: 'd', from: 3, count: 1, image: 'busybox', profile: LIGHT_PROFILE, networks: ['lan1'] });
const net = createNetService({
  config: { namespace: boardNs, prefix: tag, stateFile: join(dir.path, 'net.json') }, logger: memoryLogger(), guests: () => [spec!],
});

test.after(async () => {
  await net.down().catch(() => undefined);
  sh(`ip netns del ${boardNs}`);
  closeSync(fifo);
  await dir.remove();
  assert.equal(namespacesLike(tag), []);
});

test('a crun guest started with networks is in its namespace with its pool address', async () => {
  await net.apply({ topology: { name: 't', sha256: 'x' }, routers: [], networks: [
    { name: 'lan1', vni: 7, subnet: '10.7.0.0/24', pool: { first: '10.7.0.100', size: 10 }, attachCount: 0, attach: [], link: {}, peers: [] }] });
  const netns = await net.join(spec!);
  assert.equal(netns, `/run/netns/${tag}-b1-g0003`);
  const runtime = await createCrunRuntime(deps);
  try {
    const g = await runtime.start({ ...spec!, netns });
    assert.equal(readlinkSync(`/proc/${g.pid}/ns/net`), `net:[${statSync(netns!).ino}]`, 'the guest runs in the namespace net made');
    const inside = execFileSync('nsenter', [`--net=/proc/${g.pid}/ns/net`, 'ip', '-o', '-4', 'addr', 'show', 'eth0'], { encoding: 'utf8' });
    assert.match(inside, /inet 10\.7\.0\.103\/24/, 'index 3: pool first + 3');
    await runtime.stop(spec!.id, 0);
  } finally {
    await runtime.close();
  }
  await net.leave(spec!.id);
  assert.equal(namespacesLike(tag), [boardNs]);
  assert.equal(sh(`ip -n ${boardNs} -br link`).split('\n').filter((l) => l.startsWith('dv3-')), []);
});

test('the process runtime refuses networks', async () => {
  const runtime = createProcessRuntime({ ...deps, stateDir: join(dir.path, 'pstate') });
  const err = await runtime.start(spec!).then(() => undefined, (e: Error) => e);
  assert.match(err?.message ?? '', /the process runtime has no network isolation: guests cannot join networks; install crun and run as root/);
  await runtime.close();
});

test.run();
