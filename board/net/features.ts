/**
 * What the kernel can do for guest networks (vxlan devices, tbf and netem qdiscs), found by
 * trying each once in a throw-away namespace: module lists and config files lie on kernels
 * built their own way; making the thing does not.
 */
import { NET_FEATURES, type NetFeature } from '../../broker/contract/commands/net.ts';
import { probeNetns } from './naming.ts';
import { run } from './run.ts';

export type NetFeatures = Record<NetFeature, boolean>;

export async function probeFeatures(prefix: string): Promise<NetFeatures> {
  const ns = probeNetns(prefix);
  await run('ip', ['netns', 'del', ns]);
  const made = await run('ip', ['netns', 'add', ns]);
  if (made.code !== 0) return Object.fromEntries(NET_FEATURES.map((f) => [f, false])) as NetFeatures;
  try {
    const ok = async (file: string, args: string[]) => (await run(file, ['-n', ns, ...args])).code === 0;
    await ok('ip', ['link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1']);
    return {
      vxlan: await ok('ip', ['link', 'add', 'x0', 'type', 'vxlan', 'id', '1', 'dstport', '4789']),
      tbf: await ok('tc', ['qdisc', 'add', 'dev', 'p0', 'root', 'tbf', 'rate', '1mbit', 'burst', '16k', 'latency', '50ms']),
      netem: await ok('tc', ['qdisc', 'add', 'dev', 'p1', 'root', 'netem', 'delay', '1ms']),
    };
  } finally {
    await run('ip', ['netns', 'del', ns]);
  }
}
