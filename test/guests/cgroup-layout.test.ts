import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CgroupLayoutError, parseCgroupLayout } from '../../board/guests/cgroup-layout.ts';

const base = [
  '22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
  '23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw',
  '24 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw',
];

/** A systemd host booted with the unified hierarchy (Debian 11+, real boards). */
const v2 = [...base, '30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot'];

const v1Controllers = ['cpu', 'memory', 'pids', 'devices', 'freezer'].map((c, i) =>
  `${32 + i} 31 0:${29 + i} / /sys/fs/cgroup/${c} rw,nosuid,nodev,noexec,relatime shared:${5 + i} - cgroup cgroup rw,${c}`);

/** An older host: controllers only, and no optional fields after the mount options. */
const v1 = [...base, '31 24 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755', ...v1Controllers];

/** This build machine: v1 controllers plus a cgroup2 at /sys/fs/cgroup/unified holding hugetlb. */
const hybrid = [...v1, '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw'];

test('plain v2', () => {
  assert.equal(parseCgroupLayout(v2.join('\n')), { kind: 'v2', cgroup2Mounts: ['/sys/fs/cgroup'] });
});

test('plain v1', () => {
  assert.equal(parseCgroupLayout(v1.join('\n') + '\n'), { kind: 'v1', cgroup2Mounts: [] });
});

test('hybrid: v1 controllers and a cgroup2 mount', () => {
  assert.equal(parseCgroupLayout(hybrid.join('\n')), { kind: 'hybrid', cgroup2Mounts: ['/sys/fs/cgroup/unified'] });
});

test('escaped mount points are unescaped', () => {
  const odd = [...v1, '42 31 0:39 / /sys/fs/cgroup/my\\040unified rw - cgroup2 cgroup2 rw'];
  assert.equal(parseCgroupLayout(odd.join('\n')).cgroup2Mounts, ['/sys/fs/cgroup/my unified']);
});

test('a later mount over /sys/fs/cgroup hides the earlier one', () => {
  const remounted = [...v1, '50 24 0:40 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw'];
  assert.is(parseCgroupLayout(remounted.join('\n')).kind, 'v2');
});

test('no cgroup filesystem at all is an error naming the source', () => {
  try {
    parseCgroupLayout(base.join('\n'), '/proc/42/mountinfo');
    assert.unreachable('should throw');
  } catch (e) {
    assert.instance(e, CgroupLayoutError);
    assert.match((e as Error).message, '/proc/42/mountinfo');
  }
});

test.run();
