/**
 * A test desk LAN: a namespace holding a bridge, and one "board" namespace per board with an
 * interface `lan0` on that bridge and its desk-LAN address (what the simulated desk gives a
 * board). Everything it makes is named after `tag`; remove() deletes it all.
 */
import { execFileSync } from 'node:child_process';

export const sh = (cmd: string) => execFileSync('sh', ['-c', cmd], { encoding: 'utf8' });

export function makeDeskLan(tag: string, boards: Array<{ ns: string; lan: string }>) {
  const lan = `${tag}-lan`;
  sh(`ip netns add ${lan} && ip -n ${lan} link add lanbr type bridge && ip -n ${lan} link set lanbr up`);
  boards.forEach((b, i) => {
    sh(`ip netns add ${b.ns} && ip -n ${b.ns} link set lo up`);
    sh(`ip -n ${lan} link add lp${i} type veth peer name lan0 netns ${b.ns}`);
    sh(`ip -n ${lan} link set lp${i} master lanbr up && ip -n ${b.ns} addr add ${b.lan}/24 dev lan0 && ip -n ${b.ns} link set lan0 up`);
  });
  return {
    remove() {
      for (const ns of [lan, ...boards.map((b) => b.ns)]) sh(`ip netns del ${ns} 2>/dev/null || true`);
    },
  };
}

/** Namespaces whose name starts with `prefix`. */
export const namespacesLike = (prefix: string) => sh('ip netns list').split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(prefix));
